"""The post-mortem API: thin ViewSets. Reads come from postmortems.selectors (scoped like the pages: other
teams' post-mortems are 404, viewers and stakeholders read published ones only), writes go through
postmortems.services (which decide 403, 409 and 400)."""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api.schema import ERROR_DESCRIPTIONS, ErrorSerializer
from config.api.serializers import validated
from config.errors import ConflictError
from incidents.selectors import services_visible_to
from postmortems import selectors, services
from postmortems.api import serializers as s
from postmortems.api.filters import ActionItemFilter, PostMortemFilter
from postmortems.guards import publish_problems
from postmortems.insights import timeline_insights
from postmortems.markdown_export import markdown_filename, postmortem_markdown
from postmortems.models import OPEN_ITEM_STATES, ActionItem, PostMortem

ROWS = ("whys", "factors", "timeline", "action_items")


def action_items_visible_to(user) -> QuerySet[ActionItem]:
    """The items of every post-mortem the user may read, and the items they own wherever they are (as the
    “My action items” page lists them)."""
    readable = selectors.postmortems_visible_to(user).values("pk")
    hygiene = Q(postmortem__isnull=True, service__in=services_visible_to(user).values("pk"))
    return ActionItem.objects.filter(Q(postmortem__in=readable) | Q(owner=user) | hygiene).select_related(
        "postmortem__incident__service__team", "service__team", "owner"
    )


def postmortem_detail_data(request, postmortem: PostMortem) -> dict:
    """One post-mortem as GET /postmortems/{id}/ shows it, in a constant number of queries."""
    user = request.user
    detail = selectors.postmortem_detail(postmortem)
    postmortem.action_items_open = sum(item.is_open for item in detail["action_items"])
    postmortem.action_items_total = len(detail["action_items"])
    postmortem.api_detail = {
        **detail,
        "insights": timeline_insights(postmortem.incident),
        "can_edit": selectors.can_edit_postmortem(user, postmortem),
        "actions": selectors.postmortem_actions_for(user, postmortem),
        "problems": publish_problems(postmortem) if postmortem.is_editable else [],
    }
    context = {"request": request, "today": timezone.localdate()}
    return s.PostMortemDetailSerializer(postmortem, context=context).data


class MarkdownRenderer(renderers.BaseRenderer):
    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode(self.charset) if isinstance(data, str) else data


class _JsonErrorsMixin:
    # Errors are JSON everywhere, also from an action whose only renderer is another format (the Markdown
    # export). A comment, not a docstring: drf-spectacular would show a docstring as every operation's description.

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = renderers.JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


def _json_errors(*codes: str, **descriptions: str) -> dict:
    """Error responses documented as JSON (ApiAutoSchema would use the operation's own media type)."""
    return {
        (int(code), "application/json"): OpenApiResponse(
            ErrorSerializer, description=descriptions.get(f"e{code}", ERROR_DESCRIPTIONS[code])
        )
        for code in codes
    }


def _transition_schema(summary: str, description: str):
    return extend_schema(
        summary=summary, description=description, request=s.PostMortemTransitionSerializer,
        responses=s.PostMortemDetailSerializer,
    )


@extend_schema(tags=["post-mortems"])
class PostMortemViewSet(_JsonErrorsMixin, viewsets.GenericViewSet):
    serializer_class = s.PostMortemSerializer
    filterset_class = PostMortemFilter
    lookup_value_regex = "[0-9]+"
    orderings = {"-created_at": ("-created_at", "-id"), "created_at": ("created_at", "id")}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, without a user
            return PostMortem.objects.none()
        return selectors.postmortems_visible_to(self.request.user).annotate(
            action_items_open=Count("action_items", filter=Q(action_items__status__in=OPEN_ITEM_STATES)),
            action_items_total=Count("action_items"),
        )

    def get_postmortem(self) -> PostMortem:
        return selectors.postmortem_for_user(self.request.user, self.kwargs["pk"])

    def _answer(self, postmortem: PostMortem, code: int = status.HTTP_200_OK) -> Response:
        # Re-read: the services return a locked row without the joins the output needs.
        postmortem = selectors.postmortem_for_user(self.request.user, postmortem.pk)
        return Response(postmortem_detail_data(self.request, postmortem), status=code)

    @extend_schema(summary="List post-mortems", description="Newest first by default; keyset pagination.")
    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(s.PostMortemSerializer(page, many=True).data)

    @extend_schema(summary="Get a post-mortem", responses=s.PostMortemDetailSerializer)
    def retrieve(self, request, pk=None):
        return Response(postmortem_detail_data(request, self.get_postmortem()))

    @extend_schema(
        summary="Start a post-mortem",
        description="For a resolved or closed incident, by a responder of its team: 201 with the new draft "
        "(prefilled from the incident's timeline); 200 with the post-mortem when the incident already has one.",
        request=s.PostMortemCreateSerializer,
        responses={201: s.PostMortemDetailSerializer, 200: s.PostMortemDetailSerializer},
    )
    def create(self, request):
        data = validated(s.PostMortemCreateSerializer, request)
        postmortem, created = services.postmortem_create(incident=data["incident"], user=request.user)
        if not selectors.postmortems_visible_to(request.user).filter(pk=postmortem.pk).exists():
            # It exists, as a draft that this viewer or stakeholder may not read yet.
            raise PermissionDenied("You may not start or read this incident's post-mortem until it is published.")
        return self._answer(postmortem, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="Edit a post-mortem",
        description="Drafts and post-mortems in review, by responders of the team (409 once published). Send "
        "only what changes. Rows (`whys`, `factors`, `timeline`, `action_items`) are added without an `id`, "
        "changed with their `id` and the fields that change, removed with `id` and `\"delete\": true`; rows "
        "not named stay as they are. All or nothing.",
        request=s.PostMortemUpdateSerializer,
        responses=s.PostMortemDetailSerializer,
        examples=[
            OpenApiExample(
                "Root cause and a why", request_only=True,
                value={"root_cause": "An unreviewed timeout change exhausted the connection pool.",
                       "whys": [{"question": "Why did checkout fail?", "answer": "The pool was exhausted."}],
                       "action_items": [{"title": "Alert on pool saturation", "owner": "erin",
                                         "horizon": "immediate"}]},
            ),
        ],
    )
    def partial_update(self, request, pk=None):
        postmortem = self.get_postmortem()
        data = dict(validated(s.PostMortemUpdateSerializer, request, partial=True, postmortem=postmortem))
        rows = {name: data.pop(name) for name in ROWS if name in data}
        attendees = data.pop("attendees", None)
        services.postmortem_save(postmortem=postmortem, user=request.user, fields=data, attendees=attendees, **rows)
        return self._answer(postmortem)

    def _transition(self, request, name: str) -> Response:
        postmortem = self.get_postmortem()
        note = validated(s.PostMortemTransitionSerializer, request)["note"]
        services.postmortem_transition(postmortem=postmortem, user=request.user, action=name, note=note)
        return self._answer(postmortem)

    @_transition_schema("Submit for review", "A draft goes to review; responders of the team.")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._transition(request, "submit")

    @_transition_schema(
        "Publish",
        "The owner, the facilitator or a manager of the team publishes a post-mortem in review. 400 when it is "
        "not ready: `extra.problems` lists each missing piece, as the page does.",
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._transition(request, "publish")

    @_transition_schema("Reopen", "A manager of the team reopens a published post-mortem as a draft; `note` "
                        "(the reason) is required.")
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._transition(request, "reopen")

    @extend_schema(
        summary="Export as Markdown",
        description="A published post-mortem as Markdown, section by section as the review template.",
        responses={
            (200, "text/markdown"): OpenApiResponse(OpenApiTypes.STR, description="The Markdown document."),
            **_json_errors("401", "403", "404", "406", "409",
                           e406="The Accept header asks for something other than Markdown.",
                           e409="The post-mortem is not published yet: only published ones are exported."),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[MarkdownRenderer], pagination_class=None,
            filter_backends=[])
    def markdown(self, request, pk=None):
        postmortem = self.get_postmortem()
        if not postmortem.is_published:
            raise ConflictError(
                f"Only published post-mortems are exported; the post-mortem of {postmortem.incident.reference} "
                f"is {postmortem.get_state_display().lower()}."
            )
        response = Response(postmortem_markdown(postmortem), content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{markdown_filename(postmortem)}"'
        return response


@extend_schema(tags=["post-mortems"])
@extend_schema_view(
    list=extend_schema(summary="List action items",
                       description="Of every post-mortem you may read, and yours wherever they are."),
    retrieve=extend_schema(summary="Get an action item"),
)
class ActionItemViewSet(_JsonErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ActionItemListSerializer
    filterset_class = ActionItemFilter
    lookup_value_regex = "[0-9]+"
    orderings = {"-created_at": ("-created_at", "-id"), "created_at": ("created_at", "id")}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, without a user
            return ActionItem.objects.none()
        return action_items_visible_to(self.request.user)

    def get_object(self):
        # Detail views ignore the list's filters (django-filter would apply them to the lookup too).
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def _answer(self, item: ActionItem) -> Response:
        # The services return the item with its post-mortem, incident, team and owner joined.
        return Response(self.get_serializer(item).data)

    @extend_schema(
        summary="Edit an action item",
        description="Its owner and the team's responders, also after publication. A body with only `status` "
        "(and `wont_do_reason`) is a status change: done stamps completed_at, wont_do needs a reason.",
        request=s.ActionItemUpdateSerializer,
        responses=s.ActionItemListSerializer,
    )
    def partial_update(self, request, pk=None):
        item = self.get_object()
        data = dict(validated(s.ActionItemUpdateSerializer, request, partial=True, postmortem=item.postmortem))
        if "status" in data and set(data) <= {"status", "wont_do_reason"}:
            item = services.action_item_set_status(
                item=item, user=request.user, status=data["status"], reason=data.get("wont_do_reason", "")
            )
        else:
            item = services.action_item_update(item=item, user=request.user, **data)
        return self._answer(item)

    @extend_schema(
        summary="Reassign an action item",
        description="Its owner and the team's responders hand it to someone else.",
        request=s.ActionItemReassignSerializer,
        responses=s.ActionItemListSerializer,
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        item = self.get_object()
        owner = validated(s.ActionItemReassignSerializer, request)["owner"]
        return self._answer(services.action_item_reassign(item=item, user=request.user, owner=owner))
