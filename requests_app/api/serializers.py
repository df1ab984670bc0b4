"""What the API reads and writes. Output serializers read objects the selectors already joined, so a
list costs a constant number of queries; input serializers only shape input, the services decide."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from departments.models import Department, Priority, Service, ServiceField, SLATarget

from ..models import Comment, RequestEvent, ServiceRequest, Status
from ..params import MAX_ID, is_ascii_number
from ..selectors import ClockView


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField())
    def get_name(self, user: AbstractBaseUser) -> str:
        return user.get_full_name() or user.get_username()


class FieldDefinitionSerializer(serializers.ModelSerializer):
    choices = serializers.ListField(child=serializers.CharField(), source="choice_list")

    class Meta:
        model = ServiceField
        fields = ["name", "label", "field_type", "required", "help_text", "choices"]


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = SLATarget
        fields = ["priority", "first_response_minutes", "resolution_minutes"]


class RequesterPriorityLimitField(serializers.ChoiceField):
    """A service's ``requester_priority_limit``: null where requesters state no urgency (the department decides)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "help_text",
            "The highest `priority` a requester may state when filing; null: requesters state none.",
        )
        super().__init__(choices=Priority.choices, allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value: str) -> str | None:
        return value or None


class ServiceSummarySerializer(serializers.ModelSerializer):
    requester_priority_limit = RequesterPriorityLimitField()

    class Meta:
        model = Service
        fields = ["id", "name", "slug", "description", "default_priority", "requester_priority_limit"]


class ServiceSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    fields = FieldDefinitionSerializer(many=True, read_only=True)
    targets = serializers.SerializerMethodField()
    requester_priority_limit = RequesterPriorityLimitField()

    class Meta:
        model = Service
        fields = [
            "id",
            "name",
            "slug",
            "department",
            "description",
            "what_you_get",
            "what_to_provide",
            "default_priority",
            "requester_priority_limit",
            "fields",
            "targets",
        ]

    @extend_schema_field(TargetSerializer(many=True))
    def get_targets(self, service: Service) -> list[dict[str, Any]]:
        policy = service.effective_sla_policy
        return TargetSerializer(policy.targets.all() if policy else [], many=True).data


class DepartmentSerializer(serializers.ModelSerializer):
    services = ServiceSummarySerializer(many=True, read_only=True, source="catalog_services")

    class Meta:
        model = Department
        fields = ["id", "name", "slug", "reference_prefix", "description", "services"]


class ClockSerializer(serializers.Serializer):
    state = serializers.CharField(help_text="on_track, at_risk, breached, paused, met, breached_met or none")
    label = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    business_seconds_left = serializers.SerializerMethodField()
    business_seconds_overdue = serializers.SerializerMethodField()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_business_seconds_left(self, clock: ClockView) -> int | None:
        return int(clock.left.total_seconds()) if clock.left is not None else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_business_seconds_overdue(self, clock: ClockView) -> int | None:
        return int(clock.overdue.total_seconds()) if clock.overdue is not None else None


DATETIME = serializers.DateTimeField()


def _seconds(span: Any) -> int | None:
    return int(span.total_seconds()) if span is not None else None


def clock_data(clock: ClockView) -> dict[str, Any]:
    """What ``ClockSerializer`` documents, built directly: a list of a hundred rows has three hundred clocks,
    and a serializer instance per clock costs more than everything else in the list."""
    return {
        "state": clock.state,
        "label": clock.label,
        "due_at": DATETIME.to_representation(clock.due_at) if clock.due_at else None,
        "business_seconds_left": _seconds(clock.left),
        "business_seconds_overdue": _seconds(clock.overdue),
    }


class SLASerializer(serializers.Serializer):
    first_response = ClockSerializer()
    resolution = ClockSerializer()
    badge = ClockSerializer()


SLA_SCHEMA = SLASerializer()


class RequestSerializer(serializers.ModelSerializer):
    """A request as lists show it; ``sla`` needs ``context["sla"]`` from ``selectors.sla_views``."""

    service = ServiceSummarySerializer(read_only=True)
    department = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    requester = PersonSerializer(read_only=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    sla = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = [
            "reference",
            "title",
            "service",
            "department",
            "status",
            "priority",
            "requester",
            "assignee",
            "values",
            "created_at",
            "updated_at",
            "first_responded_at",
            "first_response_due_at",
            "resolution_due_at",
            "resolved_at",
            "closed_at",
            "sla",
        ]

    @extend_schema_field(SLA_SCHEMA)
    def get_sla(self, sr: ServiceRequest) -> dict[str, Any]:
        clocks = self.context["sla"][sr.pk]
        return {name: clock_data(clock) for name, clock in clocks.items()}


class CommentSerializer(serializers.ModelSerializer):
    author = PersonSerializer(read_only=True)
    department = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="The department an internal note belongs to (null for replies).",
    )

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "internal", "department", "created_at"]


class EventSerializer(serializers.ModelSerializer):
    actor = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = RequestEvent
        fields = ["kind", "actor", "from_value", "to_value", "created_at"]


class RequestDetailSerializer(RequestSerializer):
    """A request with its conversation and history (internal ones only for the department)."""

    resolution_note = serializers.CharField()
    comments = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    class Meta(RequestSerializer.Meta):
        fields = [*RequestSerializer.Meta.fields, "resolution_note", "comments", "history"]

    @extend_schema_field(CommentSerializer(many=True))
    def get_comments(self, sr: ServiceRequest) -> list[dict[str, Any]]:
        return CommentSerializer(self.context["comments"], many=True).data

    @extend_schema_field(EventSerializer(many=True))
    def get_history(self, sr: ServiceRequest) -> list[dict[str, Any]]:
        return EventSerializer(self.context["events"], many=True).data


# --- input -------------------------------------------------------------------------------------


class IdField(serializers.IntegerField):
    """An id: a JSON integer, or a string of ASCII digits (multipart forms send strings), from 1 to 2**63 - 1.

    DRF's ``IntegerField`` reads a string with ``int``, which also takes "١٢", "１２" and " 2" (``params``).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and not is_ascii_number(data, MAX_ID):
            self.fail("invalid")
        return super().to_internal_value(data)


class FileRequestSerializer(serializers.Serializer):
    """Filing: the service, a title, and the service's field values keyed by field name.

    The values are validated by the same form as the web page (``ServiceRequestForm``). Send JSON, or
    ``multipart/form-data`` with ``values`` as a JSON string and files under ``files.<field name>``.
    """

    service = IdField()
    title = serializers.CharField(max_length=200)
    priority = serializers.ChoiceField(
        choices=Priority.choices,
        required=False,
        help_text=(
            "The urgency you state: only for a service with a `requester_priority_limit`, up to that limit "
            "(else 400); left out, the service's `default_priority` applies. The department may change it."
        ),
    )
    values = serializers.JSONField(required=False, default=dict)


class CommentInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20_000)
    internal = serializers.BooleanField(default=False, help_text="An internal note (agents and leads only).")


class AssignInputSerializer(serializers.Serializer):
    assignee = IdField(allow_null=True, help_text="A user id of the department; null unassigns.")


class StatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=20_000)


class PriorityInputSerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.choices)


class ErrorSerializer(serializers.Serializer):
    """Every error: one sentence, and the reasons per field (empty when not about a field)."""

    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
