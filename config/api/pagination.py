"""Keyset ("cursor") pagination for every list endpoint.

A view names its orderings, each a tuple of non-null fields ending in a unique one
(`{"-detected_at": ("-detected_at", "-id")}`). A page is `WHERE (ordering key) after (cursor) ORDER BY …
LIMIT n + 1`: page 200 costs what page 1 costs, and there is no COUNT. The cursor is an opaque token
holding the key of the row a page ends at; `next` and `previous` are ready-made links.
"""

import base64
import binascii
import datetime as dt
import json
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

BIGINT = 2**63 - 1
MAX_CURSOR_LENGTH = 1000


def _bad_cursor() -> ValidationError:
    return ValidationError({"cursor": ["Invalid cursor: use the next or previous link of a response."]})


def _flip(field: str) -> str:
    return field[1:] if field.startswith("-") else f"-{field}"


def keyset_after(fields: tuple[str, ...], values: list) -> Q:
    """Rows strictly after `values` in the order `fields`. The leading `>=`/`<=` on the first field keeps the
    condition usable by an index on the ordering."""
    terms = []
    for i, field in enumerate(fields):
        name = field.lstrip("-")
        term = Q(**{f"{name}__{'lt' if field.startswith('-') else 'gt'}": values[i]})
        for j in range(i):
            term &= Q(**{fields[j].lstrip("-"): values[j]})
        terms.append(term)
    first = fields[0]
    lead = Q(**{f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": values[0]})
    return lead & reduce(or_, terms)


class KeysetPagination(BasePagination):
    page_size = 25
    max_page_size = 100
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    ordering_query_param = "ordering"

    # --- reading the request ------------------------------------------------------------------------
    @staticmethod
    def orderings_of(view) -> dict[str, tuple[str, ...]]:
        return getattr(view, "orderings", None) or {"id": ("id",)}

    def _ordering(self, request, view) -> tuple[str, tuple[str, ...]]:
        orderings = self.orderings_of(view)
        name = request.query_params.get(self.ordering_query_param) or next(iter(orderings))
        if name not in orderings:
            raise ValidationError({self.ordering_query_param: [f"Order by one of: {', '.join(orderings)}."]})
        return name, orderings[name]

    def _page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def _decode(self, raw: str, model, ordering: str, fields: tuple[str, ...]) -> tuple[list, bool]:
        if len(raw) > MAX_CURSOR_LENGTH:
            raise _bad_cursor()
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode("ascii") + b"=" * (-len(raw) % 4)))
            if data["o"] != ordering or not isinstance(data["r"], bool) or len(data["v"]) != len(fields):
                raise _bad_cursor()
            values = [
                self._to_python(model, field.lstrip("-"), value) for field, value in zip(fields, data["v"], strict=True)
            ]
        except (ValueError, TypeError, KeyError, binascii.Error, UnicodeError, DjangoValidationError) as exc:
            raise _bad_cursor() from exc
        return values, data["r"]

    @staticmethod
    def _to_python(model, name: str, value):
        if value is None or isinstance(value, (dict, list, bool)):
            raise ValueError(name)
        if isinstance(value, str):
            if "\x00" in value:  # PostgreSQL refuses NUL in text
                raise ValueError(name)
            value.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError (a ValueError)
        python = model._meta.get_field(name).to_python(value)
        if isinstance(python, int) and not -BIGINT <= python <= BIGINT:
            raise ValueError(name)
        if isinstance(python, dt.datetime) and python.tzinfo is None:
            raise ValueError(name)
        return python

    @staticmethod
    def _encode(ordering: str, values: list, reverse: bool) -> str:
        plain = [v.isoformat() if isinstance(v, (dt.datetime, dt.date, dt.time)) else v for v in values]
        data = json.dumps({"o": ordering, "v": plain, "r": reverse}, separators=(",", ":"))
        return base64.urlsafe_b64encode(data.encode()).decode("ascii").rstrip("=")

    # --- the page --------------------------------------------------------------------------------------
    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.ordering, fields = self._ordering(request, view)
        size = self._page_size(request)
        raw = request.query_params.get(self.cursor_query_param)
        values, reverse = self._decode(raw, queryset.model, self.ordering, fields) if raw else (None, False)
        order = tuple(_flip(f) for f in fields) if reverse else fields
        if values is not None:
            queryset = queryset.filter(keyset_after(order, values))
        rows = list(queryset.order_by(*order)[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()
        key = lambda row: [getattr(row, f.lstrip("-")) for f in fields]  # noqa: E731
        self.next_cursor = self.previous_cursor = None
        if rows:
            if more or reverse:
                self.next_cursor = self._encode(self.ordering, key(rows[-1]), False)
            if (more and reverse) or (values is not None and not reverse):
                self.previous_cursor = self._encode(self.ordering, key(rows[0]), True)
        return rows

    def _link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_paginated_response(self, data):
        return Response(
            {"next": self._link(self.next_cursor), "previous": self._link(self.previous_cursor), "results": data}
        )

    def get_first_link(self) -> str:
        return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)

    # --- the schema ------------------------------------------------------------------------------------
    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }

    def get_schema_operation_parameters(self, view):
        orderings = list(self.orderings_of(view))
        return [
            {
                "name": self.cursor_query_param, "in": "query", "required": False,
                "description": "Opaque position from a previous response's next or previous link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param, "in": "query", "required": False,
                "description": f"Results per page (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
            {
                "name": self.ordering_query_param, "in": "query", "required": False,
                "description": f"Sort order (default {orderings[0]}).",
                "schema": {"type": "string", "enum": orderings},
            },
        ]
