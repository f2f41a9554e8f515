"""The SVG chart geometry: round axes, bars in proportion, lines that break where a week has no value."""

import pytest

from incidents.metrics import charts


@pytest.mark.parametrize(("value", "whole", "maximum"), [
    (3, True, 4), (7, True, 8), (17, True, 20), (23, True, 40), (0.3, False, 0.4), (0, True, 4), (130, True, 200),
])
def test_axes_end_at_four_round_steps(value, whole, maximum):
    assert charts.nice_ceiling(value, whole=whole) == pytest.approx(maximum)


def test_bars_are_in_proportion_and_labelled():
    chart = charts.bar_chart("volume", "Alerts", ["Mar 2", "Mar 9"], [
        {"key": "events", "label": "Alerts", "values": [4, 2]},
        {"key": "incidents", "label": "Incidents", "values": [1, 0]},
    ], target=20, target_label="target < 20 a week")

    events = [bar for bar in chart.bars if bar["series"] == "events"]
    assert [bar["value"] for bar in events] == [4, 2]
    assert events[0]["height"] == pytest.approx(2 * events[1]["height"])
    assert events[0]["y"] + events[0]["height"] == pytest.approx(chart.plot["bottom"])
    assert [label["text"] for label in chart.x_labels] == ["Mar 2", "Mar 9"]
    assert chart.target["y"] == pytest.approx(chart.plot["top"])  # 20 is the axis maximum
    assert not chart.empty


def test_a_line_breaks_at_missing_values():
    chart = charts.line_chart("mttr", "MTTR", ["a", "b", "c", "d"], [
        {"key": "mttr", "label": "MTTR", "values": [600, None, 1200, 1800]},
    ], unit="minutes", scale=60)

    assert [point["value"] for point in chart.points] == [10, 20, 30]
    assert [len(line["points"].split()) for line in chart.lines] == [1, 2]


def test_nothing_to_draw_is_said():
    assert charts.bar_chart("x", "X", ["P1"], [{"key": "n", "label": "N", "values": [0]}]).empty
    assert charts.hbar_chart("y", "Y", [], [{"key": "n", "label": "N"}]).empty


def test_long_axes_show_every_nth_label():
    chart = charts.bar_chart("w", "Weeks", [f"w{i}" for i in range(52)], [{"key": "n", "label": "N",
                                                                           "values": [1] * 52}])

    shown = [label["text"] for label in chart.x_labels if label["show"]]
    assert 10 <= len(shown) <= 14 and shown[-1] == "w51"
