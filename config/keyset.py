"""Keyset ("cursor") pagination: the query and the cursor token, shared by the API (config.api.pagination) and
the server-rendered lists (KeysetPage below).

An ordering is a tuple of non-null fields ending in a unique one (`("-detected_at", "-id")`). A page is
`WHERE (ordering key) after (cursor) ORDER BY … LIMIT n + 1`, which an index on the ordering answers by reading
n + 1 rows wherever the page is: page 200 costs what page 1 costs. The cursor is an opaque token holding the
key of the row a page ends at and the direction to read in.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

BIGINT = 2**63 - 1
MAX_CURSOR_LENGTH = 1000


class BadCursor(ValueError):
    """A cursor that no page of this list handed out (tampered, truncated, or for another ordering)."""


def flip(field: str) -> str:
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


def encode_cursor(ordering: str, values: list, reverse: bool) -> str:
    plain = [v.isoformat() if isinstance(v, (dt.datetime, dt.date, dt.time)) else v for v in values]
    data = json.dumps({"o": ordering, "v": plain, "r": reverse}, separators=(",", ":"))
    return base64.urlsafe_b64encode(data.encode()).decode("ascii").rstrip("=")


def decode_cursor(raw: str, model, ordering: str, fields: tuple[str, ...]) -> tuple[list, bool]:
    """(key values, reverse) from a cursor of `ordering`; raises BadCursor for anything else."""
    if len(raw) > MAX_CURSOR_LENGTH:
        raise BadCursor(raw[:20])
    try:
        data = json.loads(base64.urlsafe_b64decode(raw.encode("ascii") + b"=" * (-len(raw) % 4)))
        if data["o"] != ordering or not isinstance(data["r"], bool) or len(data["v"]) != len(fields):
            raise BadCursor(raw[:20])
        values = [_to_python(model, field.lstrip("-"), value) for field, value in zip(fields, data["v"], strict=True)]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeError, ValidationError) as exc:
        raise BadCursor(raw[:20]) from exc
    return values, data["r"]


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


def keyset_rows(queryset: QuerySet, fields: tuple[str, ...], values: list | None, reverse: bool, size: int):
    """(rows of the page in list order, whether more rows lie beyond it in the reading direction)."""
    order = tuple(flip(f) for f in fields) if reverse else fields
    if values is not None:
        queryset = queryset.filter(keyset_after(order, values))
    rows = list(queryset.order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if reverse:
        rows.reverse()
    return rows, more


def row_key(row, fields: tuple[str, ...]) -> list:
    return [getattr(row, f.lstrip("-")) for f in fields]


@dataclass
class KeysetPage:
    """One page of a server-rendered list, shaped like Django's Page where a template reads it.

    `number` only labels the page (it travels in the links next to the cursor). `count` is exact when the list
    holds at most `count_limit` rows and None beyond: counting a list costs what reading all of it costs, and
    a label is not worth that.
    """

    object_list: list
    number: int
    per_page: int
    next_cursor: str | None
    previous_cursor: str | None
    count: int | None
    count_limit: int

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self.next_cursor is not None

    def has_previous(self) -> bool:
        return self.number > 1 or self.previous_cursor is not None

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return max(1, self.number - 1)

    @property
    def num_pages(self) -> int | None:
        if self.count is None:
            return None
        return max(1, -(-self.count // self.per_page))


def keyset_page(
    queryset: QuerySet, *, ordering: tuple[str, ...], per_page: int, cursor: str | None, number: str | None,
    count_limit: int = 1000, count_queryset: QuerySet | None = None,
) -> KeysetPage:
    """The page of `queryset` (ordered by `ordering`) a list link asked for: after or before `cursor`, or, for
    a link without one (older bookmarks: `?page=3`), by offset. A bad cursor or number means the first page.
    Always two queries: the rows and the count up to `count_limit`, of `count_queryset` when given (the same
    rows in a form that PostgreSQL counts faster than it reads them in order)."""
    name = ",".join(ordering)
    try:
        label = max(1, int(number or 1))
    except ValueError:
        label = 1
    values, reverse = None, False
    if cursor:
        try:
            values, reverse = decode_cursor(cursor, queryset.model, name, ordering)
        except BadCursor:
            label = 1
    if values is None and label > 1:  # an offset link: correct, but costs more the deeper it goes
        offset = (label - 1) * per_page
        rows = list(queryset.order_by(*ordering)[offset: offset + per_page + 1])
        more, rows = len(rows) > per_page, rows[:per_page]
        first_key = row_key(rows[0], ordering) if rows else None
        previous = encode_cursor(name, first_key, True) if first_key else None
    else:
        rows, more = keyset_rows(queryset, ordering, values, reverse, per_page)
        previous = None
        if rows and (values is not None and (not reverse or more)):
            previous = encode_cursor(name, row_key(rows[0], ordering), True)
        if reverse and not more:
            label = 1  # read back to the top of the list
        more = more if not reverse else values is not None
    following = encode_cursor(name, row_key(rows[-1], ordering), False) if rows and more else None
    counting = queryset if count_queryset is None else count_queryset
    counted = counting.order_by().values("pk")[: count_limit + 1].count()
    return KeysetPage(
        object_list=rows, number=label, per_page=per_page, next_cursor=following, previous_cursor=previous,
        count=counted if counted <= count_limit else None, count_limit=count_limit,
    )
