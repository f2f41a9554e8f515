"""Keyset ("cursor") pagination for every list endpoint (the query and the token: config.keyset).

A view names its orderings, each a tuple of non-null fields ending in a unique one
(`{"-detected_at": ("-detected_at", "-id")}`). A page is `WHERE (ordering key) after (cursor) ORDER BY …
LIMIT n + 1`: page 200 costs what page 1 costs, and there is no COUNT. The cursor is an opaque token
holding the key of the row a page ends at; `next` and `previous` are ready-made links.
"""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from config.keyset import BadCursor, decode_cursor, encode_cursor, keyset_rows, row_key


def _bad_cursor() -> ValidationError:
    return ValidationError({"cursor": ["Invalid cursor: use the next or previous link of a response."]})


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

    @staticmethod
    def _decode(raw: str, model, ordering: str, fields: tuple[str, ...]) -> tuple[list, bool]:
        try:
            return decode_cursor(raw, model, ordering, fields)
        except BadCursor as exc:
            raise _bad_cursor() from exc

    # --- the page --------------------------------------------------------------------------------------
    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.ordering, fields = self._ordering(request, view)
        size = self._page_size(request)
        raw = request.query_params.get(self.cursor_query_param)
        values, reverse = self._decode(raw, queryset.model, self.ordering, fields) if raw else (None, False)
        rows, more = keyset_rows(queryset, fields, values, reverse, size)
        self.next_cursor = self.previous_cursor = None
        if rows:
            if more or reverse:
                self.next_cursor = encode_cursor(self.ordering, row_key(rows[-1], fields), False)
            if (more and reverse) or (values is not None and not reverse):
                self.previous_cursor = encode_cursor(self.ordering, row_key(rows[0], fields), True)
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
