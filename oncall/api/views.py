"""The on-call API: thin ViewSets over oncall.selectors (scoped to the user's teams: others' objects are 404),
oncall.schedule (computed shifts) and oncall.services (every write and its 400/403/409)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.serializers import validated
from oncall import selectors, services
from oncall.api import serializers as s
from oncall.api.filters import EscalationPolicyFilter, OverrideFilter, RotationFilter, SwapRequestFilter
from oncall.models import EscalationPolicy, Override, Rotation, SwapRequest, Team
from oncall.schedule import shifts


class _ReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = "[0-9]+"
    model = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, without a user
            return self.model.objects.none()
        return self.visible_to(self.request.user)

    def get_object(self):
        # Detail views ignore the list's filters (django-filter would apply them to the lookup too).
        return get_object_or_404(self.get_queryset(), **{self.lookup_field: self.kwargs[self.lookup_field]})


@extend_schema(tags=["teams"])
@extend_schema_view(list=extend_schema(summary="List your teams"), retrieve=extend_schema(summary="Get a team"))
class TeamViewSet(_ReadViewSet):
    model = Team
    visible_to = staticmethod(selectors.teams_visible_to)
    serializer_class = s.TeamSerializer
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    filter_backends = []
    orderings = {"name": ("name", "id")}


@extend_schema(tags=["on-call"])
@extend_schema_view(list=extend_schema(summary="List rotations"), retrieve=extend_schema(summary="Get a rotation"))
class RotationViewSet(_ReadViewSet):
    model = Rotation
    visible_to = staticmethod(selectors.rotations_visible_to)
    serializer_class = s.RotationSerializer
    filterset_class = RotationFilter
    orderings = {"id": ("id",)}

    @extend_schema(
        summary="A rotation's shifts in a window",
        description="The final schedule (rotation, overrides on top, blackout conflicts marked) for shifts "
        f"overlapping [start, end), at most {s.MAX_SHIFT_WINDOW.days} days.",
        parameters=[s.ShiftWindowSerializer],
        responses=s.ShiftSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def shifts(self, request, pk=None):
        rotation = self.get_object()
        window = s.ShiftWindowSerializer(data=request.query_params)
        window.is_valid(raise_exception=True)
        found = shifts(rotation, window.validated_data["start"], window.validated_data["end"])
        return Response(s.ShiftSerializer(found, many=True).data)


@extend_schema(tags=["on-call"])
class OnCallView(APIView):
    extra_error_statuses = ("404",)  # a team that is not yours

    @extend_schema(
        summary="Who is on call",
        description="Primary and secondary of each of your teams (or the one named) at `at` (default now).",
        parameters=[s.OnCallQuerySerializer],
        responses=s.OnCallSerializer(many=True),
    )
    def get(self, request):
        query = s.OnCallQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        teams = selectors.teams_of(request.user).order_by("name", "id")
        if query.validated_data.get("team"):
            teams = teams.filter(slug=query.validated_data["team"])
            if not teams.exists():
                raise Http404("No such team.")
        at = query.validated_data.get("at") or timezone.now()
        answer = [s.on_call_data(team, now) for team, now in selectors.on_call_for_teams(teams, at)]
        return Response(s.OnCallSerializer(answer, many=True).data)


@extend_schema(tags=["on-call"])
@extend_schema_view(list=extend_schema(summary="List overrides"), retrieve=extend_schema(summary="Get an override"))
class OverrideViewSet(_ReadViewSet):
    model = Override
    visible_to = staticmethod(selectors.overrides_visible_to)
    serializer_class = s.OverrideSerializer
    filterset_class = OverrideFilter
    orderings = {"start": ("start", "id"), "-start": ("-start", "-id")}

    @extend_schema(
        summary="Create an override",
        description="Put someone on call in a rotation for a span; managers and leads of the team only.",
        request=s.OverrideInputSerializer,
        responses={201: s.OverrideSerializer},
    )
    def create(self, request):
        data = validated(s.OverrideInputSerializer, request)
        rotation = data["rotation"]
        if not selectors.is_team_approver(request.user, rotation.team):
            raise PermissionDenied("Only a manager or lead of the team can set overrides.")
        override = services.override_create(
            rotation=rotation, user=data["user"], start=data["start"], end=data["end"], reason=data["reason"],
            created_by=request.user,
        )
        override = self.get_queryset().get(pk=override.pk)
        return Response(s.OverrideSerializer(override).data, status=status.HTTP_201_CREATED)


def _swap_action(summary: str, description: str):
    return extend_schema(
        summary=summary, description=description, request=s.SwapActionSerializer, responses=s.SwapRequestSerializer
    )


@extend_schema(tags=["on-call"])
@extend_schema_view(
    list=extend_schema(summary="List swap requests"), retrieve=extend_schema(summary="Get a swap request")
)
class SwapRequestViewSet(_ReadViewSet):
    model = SwapRequest
    visible_to = staticmethod(selectors.swap_requests_visible_to)
    serializer_class = s.SwapRequestSerializer
    filterset_class = SwapRequestFilter
    orderings = {"-created_at": ("-created_at", "-id"), "start": ("start", "id")}

    def _answer(self, swap, code: int = status.HTTP_200_OK) -> Response:
        return Response(s.SwapRequestSerializer(self.get_queryset().get(pk=swap.pk)).data, status=code)

    @extend_schema(
        summary="Offer a shift",
        description="Offer all or part of your own on-call time to a colleague (or anyone in the rotation).",
        request=s.SwapRequestInputSerializer,
        responses={201: s.SwapRequestSerializer},
    )
    def create(self, request):
        data = validated(s.SwapRequestInputSerializer, request)
        swap = services.swap_request_create(requester=request.user, **data)
        return self._answer(swap, status.HTTP_201_CREATED)

    def _step(self, request, service) -> Response:
        swap = self.get_object()
        data = validated(s.SwapActionSerializer, request)
        return self._answer(service(swap=swap, user=request.user, note=data["note"]))

    @_swap_action("Accept a swap", "Take over the offered span, pending approval.")
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._step(request, services.swap_request_accept)

    @_swap_action("Approve a swap", "Managers and leads: the acceptor gets an override for the span.")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._step(request, services.swap_request_approve)

    @_swap_action("Decline a swap", "Managers and leads, or the colleague it is offered to while it is open.")
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._step(request, services.swap_request_decline)

    @_swap_action("Cancel a swap", "The requester withdraws it.")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._step(request, services.swap_request_cancel)


@extend_schema(tags=["on-call"])
@extend_schema_view(
    list=extend_schema(summary="List escalation policies"), retrieve=extend_schema(summary="Get an escalation policy")
)
class EscalationPolicyViewSet(_ReadViewSet):
    model = EscalationPolicy
    visible_to = staticmethod(selectors.escalation_policies_visible_to)
    serializer_class = s.EscalationPolicySerializer
    filterset_class = EscalationPolicyFilter
    orderings = {"id": ("id",)}

