"""The SQL pieces the metric selectors share: durations as seconds, PostgreSQL's percentile_cont, and a
window-function fallback that computes the same percentiles in SQLite (the `make run` database).

Everything here runs in the database; Python only reads one row per group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from fractions import Fraction

from django.core.exceptions import EmptyResultSet
from django.db import NotSupportedError, connection
from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    Expression,
    F,
    FloatField,
    Func,
    IntegerField,
    QuerySet,
    Value,
    When,
)

FRACTIONS = {"median": 0.5, "p90": 0.9}


class DurationSeconds(Func):
    """A duration expression (the difference of two date-times) as seconds, a float on every backend."""

    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra_context):
        # date_part() answers double precision; EXTRACT() answers numeric since PostgreSQL 14, twice as slow.
        return self.as_sql(compiler, connection, template="DATE_PART('epoch', %(expressions)s)", **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django subtracts date-times in SQLite with django_timestamp_diff(), which answers microseconds.
        return self.as_sql(compiler, connection, template="((%(expressions)s) / 1000000.0)", **extra_context)


class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile: the value at `fraction` of the ordered, non-null inputs,
    interpolated between the two nearest rows (the median of 1, 2, 3, 4 is 2.5). Given several fractions it
    answers a list, from one sort of the inputs."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float | Sequence[float], **extra):
        fractions = [float(f) for f in fraction] if isinstance(fraction, Sequence) else [float(fraction)]
        if not fractions or not all(0 <= f <= 1 for f in fractions):
            raise ValueError("A percentile's fraction lies between 0 and 1.")
        if isinstance(fraction, Sequence):
            from django.contrib.postgres.fields import ArrayField

            extra["output_field"] = ArrayField(FloatField())
            literal = f"ARRAY[{', '.join(map(repr, fractions))}]::double precision[]"
        else:
            literal = repr(fractions[0])
        super().__init__(expression, fraction=literal, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor != "postgresql":
            raise NotSupportedError("percentile_cont is PostgreSQL's; use grouped_stats() for a fallback.")
        return super().as_sql(compiler, connection, **extra_context)


class WidthBucket(Func):
    """PostgreSQL's width_bucket() over an array of sorted date-times (a binary search per row)."""

    output_field = IntegerField()

    def __init__(self, expression, thresholds, **extra):
        self.thresholds = list(thresholds)
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"WIDTH_BUCKET({sql}, %s::timestamptz[])", (*params, self.thresholds)


def bucket_of(field: str, thresholds: list) -> Expression:
    """Which of the sorted `thresholds` the date-time `field` falls after: 0 before the first, i for
    thresholds[i-1] <= value < thresholds[i], len(thresholds) from the last on (Python's bisect_right).
    PostgreSQL binary-searches with width_bucket(); elsewhere a CASE walks the thresholds."""
    if not thresholds:
        return Value(0, output_field=IntegerField())
    if connection.vendor == "postgresql":
        return WidthBucket(F(field), thresholds)
    whens = [When(**{f"{field}__lt": edge}, then=Value(i)) for i, edge in enumerate(thresholds)]
    return Case(*whens, default=Value(len(thresholds)), output_field=IntegerField())


def has_percentile_cont() -> bool:
    return connection.vendor == "postgresql"


def grouped_stats(
    queryset: QuerySet,
    *,
    groups: dict[str, Expression] | None = None,
    values: dict[str, Expression],
    extra: dict[str, Aggregate] | None = None,
    fallback: bool | None = None,
) -> list[dict]:
    """Mean, median, p90 and count of each of `values` (None when there is no value), plus the `extra`
    aggregates, per combination of `groups` (one row without groups). Null values are left out, as
    AVG and percentile_cont do. On PostgreSQL one query; elsewhere (or with fallback=True) one aggregate
    query and one window-function query for the percentiles.

    Rows are dicts keyed by the group names, `<value>_mean`, `<value>_median`, `<value>_p90`, `<value>_n`
    and the extra names."""
    groups = groups or {}
    extra = extra or {}
    use_fallback = not has_percentile_cont() if fallback is None else fallback
    base = queryset.order_by().annotate(**groups, **values)
    aggregates: dict[str, Aggregate] = dict(extra)
    for name in values:
        aggregates[f"{name}_mean"] = Avg(name)
        aggregates[f"{name}_n"] = Count(name)
        if not use_fallback:  # both fractions from one sort
            aggregates[f"{name}_percentiles"] = PercentileCont(name, list(FRACTIONS.values()))
    rows = list(base.values(*groups).annotate(**aggregates).order_by()) if groups else [base.aggregate(**aggregates)]
    if not use_fallback:
        for row in rows:
            for name in values:
                found = row.pop(f"{name}_percentiles") or [None] * len(FRACTIONS)
                row.update({f"{name}_{label}": value for label, value in zip(FRACTIONS, found, strict=True)})
    else:
        percentiles = _window_percentiles(base, list(groups), list(values))
        for row in rows:
            row.update(percentiles.get(tuple(_key(row[g]) for g in groups), _empty(values)))
    return rows


def _empty(values) -> dict:
    return {f"{name}_{label}": None for name in values for label in FRACTIONS}


def _key(value):
    """A group value as the ORM and the raw fallback query both see it: SQLite answers date-times (weeks)
    as text to the raw query and as datetime objects through the ORM."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] in " T":
        return value[:10] + " " + value[11:19]
    return value


def _window_percentiles(base: QuerySet, groups: list[str], values: list[str]) -> dict[tuple, dict]:
    """percentile_cont without percentile_cont: rank each value within its group with ROW_NUMBER(),
    count the group's values with COUNT() OVER, and interpolate between the two rows around
    (n - 1) × fraction. The fractions are exact ratios, so the row positions are integer arithmetic and
    agree with PostgreSQL's to the row."""
    qn = connection.ops.quote_name
    try:
        inner_sql, params = base.values(*groups, *values).query.sql_with_params()
    except EmptyResultSet:  # e.g. a scope without teams: nothing to rank
        return {}
    partition = ", ".join(qn(g) for g in groups)
    ranked_columns = []
    for name in values:
        by_group_and_nullness = ", ".join(filter(None, [partition, f"CASE WHEN {qn(name)} IS NULL THEN 1 ELSE 0 END"]))
        ranked_columns.append(
            f"ROW_NUMBER() OVER (PARTITION BY {by_group_and_nullness} ORDER BY {qn(name)}) - 1 AS {qn(name + '__r')}"
        )
        over = f"PARTITION BY {partition}" if partition else ""
        ranked_columns.append(f"COUNT({qn(name)}) OVER ({over}) AS {qn(name + '__n')}")
    selected = [qn(g) for g in groups]
    for name in values:
        v, r, n = qn(name), qn(name + "__r"), qn(name + "__n")
        for label, fraction in FRACTIONS.items():
            ratio = Fraction(fraction).limit_denominator(1000)
            position = f"(({n} - 1) * {ratio.numerator})"
            lo = f"({position} / {ratio.denominator})"
            rest = f"({position} - {lo} * {ratio.denominator})"  # no %: it would clash with placeholders
            hi = f"({lo} + CASE WHEN {rest} > 0 THEN 1 ELSE 0 END)"
            lo_value = f"MAX(CASE WHEN {v} IS NOT NULL AND {r} = {lo} THEN {v} END)"
            hi_value = f"MAX(CASE WHEN {v} IS NOT NULL AND {r} = {hi} THEN {v} END)"
            weight = f"MAX(CASE WHEN {v} IS NOT NULL THEN {rest} * 1.0 / {ratio.denominator} END)"
            selected.append(f"{lo_value} + ({hi_value} - {lo_value}) * {weight} AS {qn(name + '_' + label)}")
    sql = (
        f"SELECT {', '.join(selected)} FROM (SELECT base.*, {', '.join(ranked_columns)} "
        f"FROM ({inner_sql}) base) ranked"
    )
    if groups:
        sql += f" GROUP BY {', '.join(qn(g) for g in groups)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        found = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return {tuple(_key(row[g]) for g in groups): {k: row[k] for k in columns if k not in groups} for row in found}


def sum_by(queryset: QuerySet, groups: list[str], columns: list[str]) -> list[dict]:
    """SELECT groups, SUM(column)… FROM (queryset) GROUP BY groups: aggregation over a queryset whose
    columns come from window functions, which Django cannot group by itself. `queryset` is a values()
    queryset naming the groups and columns."""
    qn = connection.ops.quote_name
    try:
        inner_sql, params = queryset.order_by().query.sql_with_params()
    except EmptyResultSet:
        return []
    selected = [qn(g) for g in groups] + [f"SUM({qn(c)}) AS {qn(c)}" for c in columns]
    sql = f"SELECT {', '.join(selected)} FROM ({inner_sql}) base GROUP BY {', '.join(qn(g) for g in groups)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def grouping_sets_stats(
    queryset: QuerySet, *, sets: Sequence[tuple[str, ...]], values: Sequence[str], flags: Sequence[str] = (),
    percentiles: bool = True,
) -> list[tuple[int, dict]]:
    """PostgreSQL only: the rows of `queryset` (a values() queryset with the group columns, the `values` and the
    0/1 `flags`) aggregated for several groupings at once — `GROUP BY GROUPING SETS`, one pass over the rows
    instead of one query per grouping. Returns (index of the set in `sets`, row) pairs; a row holds its set's
    group columns, `rows`, the sum of each flag, and `<value>_mean`, `_median`, `_p90`, `_n` and `_sum`.

    percentiles=False leaves out the medians and p90s (None) and answers the mean as sum / n: without an
    ordered-set aggregate PostgreSQL hashes every grouping set in one pass over unsorted rows, where
    percentile_cont makes it sort the rows once per grouping that is not a prefix of another."""
    qn = connection.ops.quote_name
    try:
        inner_sql, params = queryset.order_by().query.sql_with_params()
    except EmptyResultSet:
        return []
    columns = list(dict.fromkeys(name for group in sets for name in group))
    fractions = ", ".join(map(repr, FRACTIONS.values()))
    selected = [f"GROUPING({', '.join(map(qn, columns))})" if columns else "0", *map(qn, columns), "COUNT(*)"]
    selected += [f"SUM({qn(flag)})" for flag in flags]
    for name in values:
        v = qn(name)
        selected += [f"COUNT({v})", f"SUM({v})"]
        if percentiles:
            selected += [f"AVG({v})",
                         f"PERCENTILE_CONT(ARRAY[{fractions}]::double precision[]) WITHIN GROUP (ORDER BY {v})"]
    grouping = ", ".join(f"({', '.join(map(qn, group))})" for group in sets)
    sql = f"SELECT {', '.join(selected)} FROM ({inner_sql}) base GROUP BY GROUPING SETS ({grouping})"
    # GROUPING() has a bit set, first column highest, for each column a row's set leaves out.
    set_of_mask = {
        sum(1 << (len(columns) - 1 - i) for i, name in enumerate(columns) if name not in group): index
        for index, group in enumerate(sets)
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    result = []
    for mask, *rest in fetched:
        index = set_of_mask[mask]
        keys, rest = rest[:len(columns)], rest[len(columns):]
        row = {name: value for name, value in zip(columns, keys, strict=True) if name in sets[index]}
        row["rows"], rest = rest[0], rest[1:]
        for flag in flags:
            row[flag], rest = rest[0] or 0, rest[1:]
        for name in values:
            if percentiles:
                (n, total, mean, found), rest = rest[:4], rest[4:]
            else:
                (n, total), rest = rest[:2], rest[2:]
                mean, found = (total / n if n else None), None
            found = found or [None] * len(FRACTIONS)
            row.update({f"{name}_mean": mean, f"{name}_n": n, f"{name}_sum": total or 0,
                        **{f"{name}_{label}": p for label, p in zip(FRACTIONS, found, strict=True)}})
        result.append((index, row))
    return result
