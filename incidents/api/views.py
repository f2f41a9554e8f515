"""The incident API: thin ViewSets. Reads come from incidents.selectors (scoped to what the user may see, so
other teams' incidents are 404), writes go through incidents.services (which decide 403, 409 and 400)."""

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api.serializers import validated
from incidents import selectors, services
from incidents.api import serializers as s
from incidents.api.filters import IncidentFilter, ServiceFilter
from incidents.api.maintenance import ServiceDetailSerializer
from incidents.models import Incident, IncidentSource, RoleAssignment, StatusUpdate, TimelineEntry
from incidents.services.noise import incident_set_verdict

INCIDENT_PK = OpenApiParameter("incident_id", int, OpenApiParameter.PATH, description="The incident's id.")


def incident_detail_data(request, incident: Incident) -> dict:
    """One incident as GET /incidents/{id}/ shows it: with its current roles and the actions open to the user."""
    incident.roles = list(selectors.incident_role_assignments(incident).filter(relieved_at__isnull=True))
    actions = selectors.incident_actions_for(request.user, incident)
    incident.actions = [{"action": name, "ready": ready} for name, ready in actions.items()]
    return s.IncidentDetailSerializer(incident, context={"request": request}).data


def _reread(request, incident: Incident) -> Incident:
    """The incident as the list and detail show it (the services return a locked row without every join)."""
    try:
        return selectors.incident_for_user(request.user, incident.pk)
    except Http404:
        return incident


@extend_schema(tags=["incidents"])
class IncidentViewSet(viewsets.GenericViewSet):
    serializer_class = s.IncidentSerializer
    filterset_class = IncidentFilter
    lookup_value_regex = "[0-9]+"
    orderings = {
        "-detected_at": ("-detected_at", "-id"),
        "detected_at": ("detected_at", "id"),
        "severity": ("severity", "-detected_at", "-id"),
    }

    def get_queryset(self):
        return selectors.incidents_visible_to(self.request.user).select_related("declared_by")

    def get_incident(self) -> Incident:
        return selectors.incident_for_user(self.request.user, self.kwargs["pk"])

    def _answer(self, incident: Incident, code: int = status.HTTP_200_OK) -> Response:
        return Response(incident_detail_data(self.request, _reread(self.request, incident)), status=code)

    @extend_schema(summary="List incidents", description="Newest first by default; keyset pagination.")
    def list(self, request):
        incidents = selectors.incidents_for_listing(
            self.get_queryset(), people=("acknowledged_by", "declared_by"), texts=True
        )
        page = self.paginate_queryset(self.filter_queryset(incidents))
        return self.get_paginated_response(s.IncidentSerializer(page, many=True).data)

    @extend_schema(summary="Get an incident", responses=s.IncidentDetailSerializer)
    def retrieve(self, request, pk=None):
        return Response(incident_detail_data(request, self.get_incident()))

    @extend_schema(
        summary="Declare an incident",
        description="201 with the new incident; 200 with the open incident that took the alert when an open "
        "incident on the service has the same dedup_key.",
        request=s.DeclareSerializer,
        responses={201: s.IncidentDetailSerializer, 200: s.IncidentDetailSerializer},
        examples=[
            OpenApiExample(
                "Declare", request_only=True,
                value={"service": "checkout-api", "title": "Checkout returns 503", "severity": "P2",
                       "dedup_key": "checkout-5xx", "description": "Error rate above 5% since 14:02 UTC."},
            ),
        ],
    )
    def create(self, request):
        data = validated(s.DeclareSerializer, request)
        incident, created = services.incident_declare(user=request.user, source=IncidentSource.API, **data)
        return self._answer(incident, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="Edit an incident",
        description="Only the fields below can be set; `severity` is changed through the severity rules "
        "(deadlines recomputed). State changes use the transition endpoints.",
        request=s.IncidentUpdateSerializer,
        responses=s.IncidentDetailSerializer,
    )
    def partial_update(self, request, pk=None):
        incident = self.get_incident()
        changes = dict(validated(s.IncidentUpdateSerializer, request, partial=True))
        severity = changes.pop("severity", None)
        with transaction.atomic():  # both changes or neither
            incident = services.incident_update(incident=incident, user=request.user, **changes)
            if severity is not None:
                incident = services.incident_change_severity(incident=incident, user=request.user, severity=severity)
        return self._answer(incident)

    def _transition(self, request, name: str, input_class) -> Response:
        incident = self.get_incident()
        data = {k: v for k, v in validated(input_class, request).items() if v is not None}
        incident = services.incident_transition(incident=incident, user=request.user, action=name, **data)
        return self._answer(incident)

    @extend_schema(summary="Acknowledge", request=s.TransitionSerializer, responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._transition(request, "acknowledge", s.TransitionSerializer)

    @extend_schema(summary="Start investigating", request=s.TransitionSerializer, responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def investigate(self, request, pk=None):
        return self._transition(request, "investigate", s.TransitionSerializer)

    @extend_schema(summary="Cause identified", request=s.TransitionSerializer, responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def identify(self, request, pk=None):
        return self._transition(request, "identify", s.TransitionSerializer)

    @extend_schema(summary="Mitigating", request=s.TransitionSerializer, responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def mitigate(self, request, pk=None):
        return self._transition(request, "mitigate", s.TransitionSerializer)

    @extend_schema(summary="Resolve", request=s.ResolveSerializer, responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._transition(request, "resolve", s.ResolveSerializer)

    @extend_schema(
        summary="Close",
        description="Needs the Incident Commander or a team manager (403 otherwise) and a resolution summary.",
        request=s.CloseSerializer, responses=s.IncidentDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._transition(request, "close", s.CloseSerializer)

    @extend_schema(summary="Reopen", request=s.TransitionSerializer, responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._transition(request, "reopen", s.TransitionSerializer)

    @extend_schema(
        summary="Noise review verdict",
        description="Mark the incident actionable, noisy or false_alarm, with a short reason (timeline entry). "
        "false_alarm sets the incident's false_alarm flag; any other verdict clears it.",
        request=s.VerdictSerializer, responses=s.IncidentDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def verdict(self, request, pk=None):
        incident = self.get_incident()
        data = validated(s.VerdictSerializer, request)
        incident = incident_set_verdict(incident=incident, user=request.user, **data)
        return self._answer(incident)


class _IncidentChildViewSet(viewsets.GenericViewSet):
    # Lists hanging off one incident; the incident is looked up first, so an invisible one is a 404.

    filter_backends = []
    model = None

    def get_incident(self) -> Incident:
        return selectors.incident_for_user(self.request.user, self.kwargs["incident_id"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return self.model.objects.none()
        return self.children(self.get_incident())

    def list(self, request, incident_id=None):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(tags=["incidents"], parameters=[INCIDENT_PK])
@extend_schema_view(list=extend_schema(summary="An incident's timeline", description="Append-only; oldest first."))
class TimelineViewSet(_IncidentChildViewSet):
    model = TimelineEntry
    serializer_class = s.TimelineEntrySerializer
    orderings = {"at": ("at", "id"), "-at": ("-at", "-id")}
    children = staticmethod(selectors.incident_timeline)


@extend_schema(tags=["incidents"], parameters=[INCIDENT_PK])
@extend_schema_view(list=extend_schema(summary="An incident's status updates", description="Newest first."))
class StatusUpdateViewSet(_IncidentChildViewSet):
    model = StatusUpdate
    serializer_class = s.StatusUpdateSerializer
    orderings = {"-posted_at": ("-posted_at", "-id"), "posted_at": ("posted_at", "id")}
    children = staticmethod(selectors.incident_status_updates)

    @extend_schema(summary="Post a status update", request=s.StatusUpdateInputSerializer,
                   responses={201: s.StatusUpdateSerializer})
    def create(self, request, incident_id=None):
        incident = self.get_incident()
        data = validated(s.StatusUpdateInputSerializer, request)
        update = services.status_update_post(incident=incident, user=request.user, **data)
        return Response(s.StatusUpdateSerializer(update).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["incidents"], parameters=[INCIDENT_PK])
@extend_schema_view(list=extend_schema(summary="An incident's role assignments", description="Past ones too."))
class RoleAssignmentViewSet(_IncidentChildViewSet):
    model = RoleAssignment
    serializer_class = s.RoleAssignmentSerializer
    orderings = {"assigned_at": ("assigned_at", "id"), "-assigned_at": ("-assigned_at", "-id")}
    children = staticmethod(selectors.incident_role_assignments)

    @extend_schema(
        summary="Assign a role",
        description="A single-holder role (all but sme) hands over: the previous holder is relieved.",
        request=s.RoleAssignmentInputSerializer, responses={201: s.RoleAssignmentSerializer},
    )
    def create(self, request, incident_id=None):
        incident = self.get_incident()
        data = validated(s.RoleAssignmentInputSerializer, request)
        assignment = services.incident_assign_role(
            incident=incident, role=data["role"], assignee=data["assignee"], user=request.user
        )
        return Response(s.RoleAssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Relieve a role holder", request=None, responses=s.RoleAssignmentSerializer,
                   parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The assignment's id.")])
    @action(detail=True, methods=["post"])
    def relieve(self, request, incident_id=None, pk=None):
        assignment = self.get_object()
        assignment = services.incident_relieve_role(assignment=assignment, user=request.user)
        assignment = selectors.incident_role_assignments(assignment.incident).get(pk=assignment.pk)
        return Response(s.RoleAssignmentSerializer(assignment).data)


@extend_schema(tags=["services"])
@extend_schema_view(
    list=extend_schema(summary="List services"),
    retrieve=extend_schema(summary="Get a service"),
)
class ServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ServiceSerializer
    filterset_class = ServiceFilter
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    orderings = {"name": ("name", "id"), "-created_at": ("-created_at", "-id")}

    def get_queryset(self):
        return selectors.services_visible_to(self.request.user)

    def get_object(self):
        # Detail views ignore the list's filters (django-filter would apply them to the lookup too).
        return get_object_or_404(self.get_queryset(), slug=self.kwargs["slug"])

    @extend_schema(responses=ServiceDetailSerializer)
    def retrieve(self, request, slug=None):
        return Response(ServiceDetailSerializer(self.get_object()).data)

    @extend_schema(summary="Create a service", description="Managers of the owning team only.",
                   request=s.ServiceCreateSerializer, responses={201: s.ServiceSerializer})
    def create(self, request):
        data = dict(validated(s.ServiceCreateSerializer, request))
        service = services.service_create(
            user=request.user, team=data.pop("team"), name=data.pop("name"), slug=data.pop("slug"), **data
        )
        return Response(s.ServiceSerializer(service).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Edit a service", description="Managers of the owning team only.",
                   request=s.ServiceUpdateSerializer, responses=s.ServiceSerializer)
    def partial_update(self, request, slug=None):
        service = self.get_object()
        data = validated(s.ServiceUpdateSerializer, request, partial=True)
        service = services.service_update(user=request.user, service=service, **data)
        return Response(s.ServiceSerializer(service).data)
