"""Server-rendered SVG charts: the geometry of bars, lines and axes from metric data, which the templates in
templates/insights/ draw. No JavaScript and no chart library: the pages work offline and print."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 40
ROW = 26  # a horizontal bar's row height


@dataclass
class Chart:
    key: str
    title: str
    unit: str
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    points: list[dict] = field(default_factory=list)
    x_labels: list[dict] = field(default_factory=list)
    y_ticks: list[dict] = field(default_factory=list)
    legend: list[dict] = field(default_factory=list)
    target: dict | None = None
    empty: bool = False
    horizontal: bool = False

    @property
    def plot(self) -> dict:
        return {"left": LEFT, "top": TOP, "right": self.width - RIGHT, "bottom": self.height - BOTTOM}


def nice_step(value: float) -> float:
    """1, 2 or 5 times a power of ten, at least `value`."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power * (1 + 1e-9):
            return step * power
    return 10 * power


def nice_ceiling(value: float, *, whole: bool = False) -> float:
    """The axis maximum: four round steps (0, 5, 10, 15, 20), at least `value`; whole steps for counts."""
    step = nice_step(value / 4)
    return 4 * (max(step, 1) if whole else step)


def _ticks(maximum: float, top: float, bottom: float, fmt) -> list[dict]:
    return [
        {"y": round(bottom - (bottom - top) * i / 4, 1), "label": fmt(maximum * i / 4)} for i in range(5)
    ]


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def duration_unit(seconds: list[float | None]) -> tuple[str, float]:
    """Minutes for values under two hours, else hours."""
    largest = max((s for s in seconds if s is not None), default=0)
    return ("hours", 3600.0) if largest >= 7200 else ("minutes", 60.0)


def bar_chart(key: str, title: str, categories: list[str], series: list[dict], *, unit: str = "",
              target: float | None = None, target_label: str = "") -> Chart:
    """Vertical bars: one group per category, one bar per series ({"key", "label", "values", "css"})."""
    chart = Chart(key=key, title=title, unit=unit)
    plot = chart.plot
    values = [v for s in series for v in s["values"] if v is not None]
    chart.empty = not any(values)
    maximum = nice_ceiling(max([*values, target or 0, 1]), whole=True)
    height = plot["bottom"] - plot["top"]
    slot = (plot["right"] - plot["left"]) / max(len(categories), 1)
    bar_width = max(min(slot * 0.8 / max(len(series), 1), 40), 2)
    for i, category in enumerate(categories):
        group_left = plot["left"] + i * slot + (slot - bar_width * len(series)) / 2
        for j, s in enumerate(series):
            value = s["values"][i] or 0
            bar_height = height * value / maximum
            chart.bars.append({
                "x": round(group_left + j * bar_width, 1), "y": round(plot["bottom"] - bar_height, 1),
                "width": round(bar_width - 1, 1), "height": round(bar_height, 1), "series": s["key"],
                "css": s.get("css", s["key"]), "label": category, "value": value,
                "title": f"{category}: {_number(value)} {s['label'].lower()}",
            })
        chart.x_labels.append({"x": round(plot["left"] + (i + 0.5) * slot, 1), "text": category,
                               "show": _show_label(i, len(categories))})
    chart.y_ticks = _ticks(maximum, plot["top"], plot["bottom"], _number)
    chart.legend = [{"label": s["label"], "css": s.get("css", s["key"])} for s in series]
    if target is not None:
        chart.target = {"y": round(plot["bottom"] - height * target / maximum, 1), "label": target_label}
    return chart


def _show_label(i: int, count: int) -> bool:
    """Every label when they fit, else every n-th (always the last), so weekly axes stay readable."""
    every = max(1, math.ceil(count / 13))
    return i % every == 0 or i == count - 1


def line_chart(key: str, title: str, categories: list[str], series: list[dict], *, unit: str = "",
               scale: float = 1.0, target: float | None = None, target_label: str = "") -> Chart:
    """Lines over categories (weeks); a missing value (None) breaks the line. Values are divided by `scale`."""
    chart = Chart(key=key, title=title, unit=unit)
    plot = chart.plot
    scaled = [[None if v is None else v / scale for v in s["values"]] for s in series]
    present = [v for values in scaled for v in values if v is not None]
    chart.empty = not present
    maximum = nice_ceiling(max([*present, (target or 0) / scale, 0.001]))
    height = plot["bottom"] - plot["top"]
    step = (plot["right"] - plot["left"]) / max(len(categories), 1)
    for s, values in zip(series, scaled, strict=True):
        segment: list[str] = []
        for i, value in enumerate(values):
            x = round(plot["left"] + (i + 0.5) * step, 1)
            if value is None:
                if segment:
                    chart.lines.append({"series": s["key"], "css": s.get("css", s["key"]), "points": " ".join(segment)})
                segment = []
                continue
            y = round(plot["bottom"] - height * value / maximum, 1)
            segment.append(f"{x},{y}")
            chart.points.append({"x": x, "y": y, "series": s["key"], "css": s.get("css", s["key"]),
                                 "label": categories[i], "value": round(value, 1),
                                 "title": f"{categories[i]}: {_number(value)} {unit} ({s['label']})"})
        if segment:
            chart.lines.append({"series": s["key"], "css": s.get("css", s["key"]), "points": " ".join(segment)})
    for i, category in enumerate(categories):
        chart.x_labels.append({"x": round(plot["left"] + (i + 0.5) * step, 1), "text": category,
                               "show": _show_label(i, len(categories))})
    chart.y_ticks = _ticks(maximum, plot["top"], plot["bottom"], _number)
    chart.legend = [{"label": s["label"], "css": s.get("css", s["key"])} for s in series]
    if target is not None:
        chart.target = {"y": round(plot["bottom"] - height * (target / scale) / maximum, 1), "label": target_label}
    return chart


def hbar_chart(key: str, title: str, rows: list[dict], series: list[dict], *, unit: str = "",
               target: float | None = None, target_label: str = "") -> Chart:
    """Horizontal bars, one row per item ({"label", <series key>: value}), series side by side: for people
    and teams, whose names need the room."""
    chart = Chart(key=key, title=title, unit=unit, horizontal=True)
    label_width = 150
    chart.height = TOP + BOTTOM + ROW * max(len(rows), 1)
    plot = {"left": label_width, "right": chart.width - RIGHT - 36, "top": TOP, "bottom": chart.height - BOTTOM}
    values = [row[s["key"]] or 0 for row in rows for s in series]
    chart.empty = not any(values)
    maximum = nice_ceiling(max([*values, target or 0, 1]), whole=True)
    span = plot["right"] - plot["left"]
    bar_height = (ROW - 6) / max(len(series), 1)
    for i, row in enumerate(rows):
        top = plot["top"] + i * ROW + 3
        chart.x_labels.append({"x": label_width - 8, "y": round(top + (ROW - 6) / 2 + 4, 1), "text": row["label"],
                               "show": True})
        for j, s in enumerate(series):
            value = row[s["key"]] or 0
            chart.bars.append({
                "x": plot["left"], "y": round(top + j * bar_height, 1), "width": round(span * value / maximum, 1),
                "height": round(bar_height - 1, 1), "series": s["key"], "css": s.get("css", s["key"]),
                "label": row["label"], "value": value, "value_x": round(plot["left"] + span * value / maximum + 4, 1),
                "title": f"{row['label']}: {_number(value)} {s['label'].lower()}",
            })
    chart.y_ticks = [{"x": round(plot["left"] + span * i / 4, 1), "label": _number(maximum * i / 4)}
                     for i in range(5)]
    chart.legend = [{"label": s["label"], "css": s.get("css", s["key"])} for s in series]
    if target is not None:
        chart.target = {"x": round(plot["left"] + span * target / maximum, 1), "label": target_label}
    return chart
