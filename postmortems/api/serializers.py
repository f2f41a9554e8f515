"""What the post-mortem API shows (output serializers) and accepts (input serializers: exactly the writable
fields; anything else is refused). Rules stay in postmortems.services and postmortems.guards."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api.serializers import (
    BIGINT,
    ApiDateTimeField,
    IdField,
    InputSerializer,
    SlugField,
    UsernameField,
    UserSerializer,
)
from incidents.models import Severity
from incidents.selectors import incidents_visible_to
from oncall.api.serializers import IsoDurationField
from postmortems.models import (
    TEXT_SECTIONS,
    ActionItem,
    ActionItemStatus,
    ContributingFactor,
    FishboneCategory,
    Horizon,
    PostMortem,
    PostMortemEvent,
    PostMortemState,
    PostMortemTimelineEntry,
    Why,
)
from postmortems.selectors import postmortem_people
from postmortems.services.editing import SAVE_FIELDS
from postmortems.services.transitions import ACTION_LABELS

# --- output ------------------------------------------------------------------------------------------


class PostMortemSerializer(serializers.ModelSerializer):
    incident = serializers.IntegerField(source="incident_id", read_only=True)
    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    severity = serializers.ChoiceField(source="incident.severity", choices=Severity.choices, read_only=True)
    service = serializers.CharField(source="incident.service.slug", read_only=True)
    team = serializers.CharField(source="incident.service.team.slug", read_only=True)
    owner = UserSerializer(read_only=True, allow_null=True)
    facilitator = UserSerializer(read_only=True, allow_null=True)
    action_items_open = serializers.IntegerField(read_only=True, help_text="Open or in progress.")
    action_items_total = serializers.IntegerField(read_only=True)

    class Meta:
        model = PostMortem
        fields = [
            "id", "incident", "incident_reference", "title", "state", "severity", "service", "team", "owner",
            "facilitator", "review_due_at", "review_meeting_at", "auto_drafted", "action_items_open",
            "action_items_total", "created_at", "updated_at", "submitted_at", "published_at",
        ]
        read_only_fields = fields


class WhySerializer(serializers.ModelSerializer):
    class Meta:
        model = Why
        fields = ["id", "position", "question", "answer"]
        read_only_fields = fields


class ContributingFactorSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContributingFactor
        fields = ["id", "category", "title", "description"]
        read_only_fields = fields


class PostMortemTimelineEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = PostMortemTimelineEntry
        fields = ["id", "at", "text", "is_key_event", "source_entry", "source_kind"]
        read_only_fields = fields


class ActionItemSerializer(serializers.ModelSerializer):
    owner = UserSerializer(read_only=True, allow_null=True)
    tracker_url = serializers.CharField(read_only=True, help_text="An http(s) URL, or empty.")
    overdue = serializers.SerializerMethodField(help_text="Open or in progress, and its due date has passed.")

    class Meta:
        model = ActionItem
        fields = [
            "id", "title", "description", "owner", "horizon", "due_date", "status", "wont_do_reason", "completed_at",
            "tracker_url", "factor", "overdue", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_overdue(self, item) -> bool:
        return item.is_overdue(self.context.get("today") or timezone.localdate())


class ActionItemListSerializer(ActionItemSerializer):
    """An action item with where it comes from, for lists across post-mortems."""

    postmortem_title = serializers.CharField(source="postmortem.title", read_only=True, allow_null=True)
    postmortem_state = serializers.ChoiceField(source="postmortem.state", choices=PostMortemState.choices,
                                               read_only=True, allow_null=True)
    incident = serializers.IntegerField(source="postmortem.incident_id", read_only=True, allow_null=True)
    incident_reference = serializers.CharField(source="postmortem.incident.reference", read_only=True,
                                               allow_null=True)
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True,
                                           help_text="Alert hygiene items (no post-mortem): the flagged service.")
    source_label = serializers.CharField(read_only=True, help_text="INC-42, or “alert hygiene · <service>”.")
    team = serializers.SerializerMethodField()

    class Meta(ActionItemSerializer.Meta):
        fields = [
            *ActionItemSerializer.Meta.fields, "postmortem", "postmortem_title", "postmortem_state", "incident",
            "incident_reference", "service", "source_label", "team",
        ]
        read_only_fields = fields

    def get_team(self, item) -> str:
        team = item.postmortem.incident.service.team if item.postmortem_id else item.service.team
        return team.slug


class PostMortemEventSerializer(serializers.ModelSerializer):
    actor = UserSerializer(read_only=True, allow_null=True, help_text="Empty when Watchkeeper acted.")
    from_state = serializers.ChoiceField(choices=PostMortemState.choices, allow_blank=True, read_only=True,
                                         help_text="Empty for the first event (the draft was created).")

    class Meta:
        model = PostMortemEvent
        fields = ["id", "actor", "at", "from_state", "to_state", "note"]
        read_only_fields = fields


class InsightSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    span = serializers.CharField(help_text="What the interval runs between.")
    duration = IsoDurationField(allow_null=True, help_text="ISO 8601; empty when a lifecycle time is missing.")
    text = serializers.CharField(help_text="The duration in words, or “not recorded”.")


class PostMortemDetailSerializer(PostMortemSerializer):
    """Every section of the template, the rows, the key insights, the history and what the user may do now.
    The view puts the rows (postmortems.selectors.postmortem_detail) in `api_detail`."""

    attendees = UserSerializer(many=True, read_only=True, source="api_detail.attendees")
    key_insights = InsightSerializer(many=True, read_only=True, source="api_detail.insights")
    timeline = PostMortemTimelineEntrySerializer(many=True, read_only=True, source="api_detail.timeline")
    whys = WhySerializer(many=True, read_only=True, source="api_detail.whys")
    contributing_factors = ContributingFactorSerializer(many=True, read_only=True, source="api_detail.factors")
    action_items = ActionItemSerializer(many=True, read_only=True, source="api_detail.action_items")
    events = PostMortemEventSerializer(many=True, read_only=True, source="api_detail.events",
                                       help_text="The append-only history of its states.")
    incident_commander = UserSerializer(read_only=True, allow_null=True, source="api_detail.commander",
                                        help_text="The active Incident Commander, else the last one.")
    can_edit = serializers.BooleanField(read_only=True, source="api_detail.can_edit")
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=list(ACTION_LABELS)), read_only=True, source="api_detail.actions",
        help_text="State changes open to you now: POST /api/v1/postmortems/{id}/{action}/.",
    )
    publish_problems = serializers.ListField(
        child=serializers.CharField(), read_only=True, source="api_detail.problems",
        help_text="What publishing still needs (drafts and post-mortems in review); empty when ready.",
    )

    class Meta(PostMortemSerializer.Meta):
        fields = [
            *PostMortemSerializer.Meta.fields, *TEXT_SECTIONS, "incident_commander", "attendees", "key_insights",
            "timeline", "whys", "contributing_factors", "action_items", "events", "can_edit", "actions",
            "publish_problems",
        ]
        read_only_fields = fields


# --- input -------------------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class VisibleIncidentField(IdField):
    def get_queryset(self):
        return incidents_visible_to(self.context["request"].user)


class PostMortemCreateSerializer(InputSerializer):
    incident = VisibleIncidentField(help_text="The resolved (or closed) incident's id.")


@extend_schema_field(OpenApiTypes.STR)
class PersonField(SlugField):
    """A username among the people the edit page offers: active members of the incident's team, and anyone
    the post-mortem already names."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="username", **kwargs)

    def get_queryset(self):
        return postmortem_people(self.context["postmortem"])


@extend_schema_field(OpenApiTypes.INT)
class FactorField(IdField):
    """A contributing factor of the same post-mortem, by id."""

    def get_queryset(self):
        return ContributingFactor.objects.filter(postmortem=self.context["postmortem"])


class _RowSerializer(InputSerializer):
    """One row to add (no id), change (id and the fields that change) or remove (id and delete: true)."""

    id = serializers.IntegerField(min_value=1, max_value=BIGINT, required=False,
                                  help_text="An existing row's id; leave it out to add a row.")
    delete = serializers.BooleanField(required=False, help_text="true, with the id: remove the row.")


class WhyRowSerializer(_RowSerializer):
    position = serializers.IntegerField(min_value=1, max_value=32767, required=False,
                                        help_text="Where in the chain; the whys are renumbered 1..n.")
    question = serializers.CharField(required=False)
    answer = serializers.CharField(required=False)


class FactorRowSerializer(_RowSerializer):
    category = serializers.ChoiceField(choices=FishboneCategory.choices, required=False)
    title = serializers.CharField(max_length=120, allow_blank=True, required=False)
    description = serializers.CharField(required=False)


class TimelineRowSerializer(_RowSerializer):
    at = ApiDateTimeField(required=False)
    text = serializers.CharField(required=False)
    is_key_event = serializers.BooleanField(required=False)


class ActionItemRowSerializer(_RowSerializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    owner = PersonField(allow_null=True, required=False)
    horizon = serializers.ChoiceField(choices=Horizon.choices, required=False)
    due_date = serializers.DateField(allow_null=True, required=False, help_text="Empty: proposed from the horizon.")
    status = serializers.ChoiceField(choices=ActionItemStatus.choices, required=False)
    wont_do_reason = serializers.CharField(allow_blank=True, required=False, help_text="Required for wont_do.")
    tracker_url = serializers.CharField(max_length=500, allow_blank=True, required=False, help_text="http(s) URL.")
    factor = FactorField(allow_null=True, required=False, help_text="A contributing factor of this post-mortem.")


class PostMortemUpdateSerializer(InputSerializer, serializers.ModelSerializer):
    """The edit page's fields: title, people, dates, every template section, and the rows."""

    owner = PersonField(allow_null=True)
    facilitator = PersonField(allow_null=True)
    review_due_at = ApiDateTimeField(allow_null=True)
    review_meeting_at = ApiDateTimeField(allow_null=True)
    attendees = PersonField(many=True, help_text="Usernames; replaces the list.")
    whys = WhyRowSerializer(many=True, help_text="Rows to add, change or remove; rows not named stay as they are.")
    factors = FactorRowSerializer(many=True, help_text="Contributing factors to add, change or remove.")
    timeline = TimelineRowSerializer(many=True, help_text="Timeline entries to add, change or remove.")
    action_items = ActionItemRowSerializer(many=True, help_text="Action items to add, change or remove.")

    class Meta:
        model = PostMortem
        fields = [*SAVE_FIELDS, "attendees", "whys", "factors", "timeline", "action_items"]


class PostMortemTransitionSerializer(InputSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000,
                                 help_text="Kept in the history; required to reopen.")


class ActionItemUpdateSerializer(InputSerializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True)
    horizon = serializers.ChoiceField(choices=Horizon.choices)
    due_date = serializers.DateField(allow_null=True, help_text="Empty: proposed from the horizon.")
    status = serializers.ChoiceField(choices=ActionItemStatus.choices, help_text="done stamps completed_at.")
    wont_do_reason = serializers.CharField(allow_blank=True, help_text="Required with status wont_do.")
    tracker_url = serializers.CharField(max_length=500, allow_blank=True, help_text="http(s) URL, or empty.")
    factor = FactorField(allow_null=True, help_text="A contributing factor of the item's post-mortem, by id.")


class ActionItemReassignSerializer(InputSerializer):
    owner = UsernameField(help_text="Username of any active user; a new owner of a published item is notified.")
