"""Filter pieces both apps' APIs share."""

import datetime as dt

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField


class UtcIsoDateTimeField(IsoDateTimeField):
    """ISO 8601, turned into UTC (Python accepts offsets PostgreSQL refuses) and kept to the years 1970–2999."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            value = value.astimezone(dt.UTC)
        except (OverflowError, ValueError) as exc:
            raise ValidationError("Give a date-time between the years 1970 and 2999.", code="invalid") from exc
        if not 1970 <= value.year <= 2999:
            raise ValidationError("Give a date-time between the years 1970 and 2999.", code="invalid")
        return value


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class StrictBooleanField(forms.Field):
    """true/false (or 1/0); anything else is an error rather than silently no filter."""

    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return self.VALUES[str(value).strip().lower()]
        except KeyError as exc:
            raise ValidationError("Give true or false.", code="invalid") from exc


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField
