"""Serializer pieces both apps' APIs share."""

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField()

    class Meta:
        ref_name = "User"

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


BIGINT = 2**63 - 1


class SlugField(serializers.SlugRelatedField):
    """An object by slug. Only plain strings reach the database: a NUL byte or a lone surrogate would make
    PostgreSQL (or the driver) fail instead of answering "no such object"."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 255 or "\x00" in data:
            self.fail("invalid")
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            self.fail("invalid")
        return super().to_internal_value(data)


class IdField(serializers.PrimaryKeyRelatedField):
    """An object by integer id; anything else (floats, infinity, strings, huge numbers) is invalid."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int) or not 1 <= data <= BIGINT:
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.STR)
class UsernameField(SlugField):
    """A person named by username (active accounts only)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", get_user_model().objects.filter(is_active=True))
        kwargs.setdefault("slug_field", "username")
        super().__init__(**kwargs)


class InputSerializer(serializers.Serializer):
    """A request body: exactly the declared writable fields. Anything else (a typo, `state`, `id`) is a 400
    naming it, rather than silently ignored."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data if key not in writable)
            if unknown:
                raise serializers.ValidationError({key: ["This field cannot be set."] for key in unknown})
        return super().to_internal_value(data)


def validated(serializer_class, request, *, partial: bool = False, **context) -> dict:
    """The request body checked against `serializer_class`; raises ValidationError (400)."""
    serializer = serializer_class(data=request.data, partial=partial, context={"request": request, **context})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ApiDateTimeField(serializers.DateTimeField):
    """ISO 8601 date-times between 1970 and 2999: arithmetic on anything wider can overflow."""

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not 1970 <= parsed.year <= 2999:
            self.fail("out_of_range")
        return parsed

    default_error_messages = {"out_of_range": "Give a date-time between the years 1970 and 2999."}


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", "example": "09:00:00"})
class WallClockTimeField(serializers.TimeField):
    """A local wall-clock time (no offset: it means the team's time zone)."""
