"""The one chart helper: ECharts option dicts built in Python, rendered by one template tag.

Views build an option with these functions and pass it to ``{% echart option %}``; the
page's ``charts.js`` initialises every chart. Nothing here knows about a domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

STATUS_COLOURS = {
    "achieved": "#2e7d32",
    "on_track": "#66bb6a",
    "at_risk": "#f9a825",
    "off_track": "#c62828",
    "no_data": "#9e9e9e",
}


def line_chart(
    x: Sequence[Any],
    series: Sequence[dict[str, Any]],
    *,
    y_name: str = "",
    title: str = "",
) -> dict[str, Any]:
    """``series``: dicts with ``name``, ``data`` and optional ``dashed`` / ``step`` / ``colour``."""
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 50, "right": 20, "top": 40, "bottom": 50},
        "xAxis": {"type": "category", "data": list(x)},
        "yAxis": {"type": "value", "name": y_name, "scale": True},
        "series": [
            {
                "name": s["name"],
                "type": "line",
                "data": list(s["data"]),
                "connectNulls": True,
                "step": s.get("step", False),
                "lineStyle": {"type": "dashed" if s.get("dashed") else "solid"},
                **({"itemStyle": {"color": s["colour"]}} if s.get("colour") else {}),
            }
            for s in series
        ],
    }


def stacked_bar_chart(
    categories: Sequence[str],
    stacks: dict[str, Sequence[float]],
    *,
    colours: dict[str, str] | None = None,
    horizontal: bool = False,
    title: str = "",
) -> dict[str, Any]:
    category_axis = {"type": "category", "data": list(categories)}
    value_axis = {"type": "value", "minInterval": 1}
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"bottom": 0},
        "grid": {"left": 90 if horizontal else 40, "right": 20, "top": 40, "bottom": 50},
        "xAxis": value_axis if horizontal else category_axis,
        "yAxis": category_axis if horizontal else value_axis,
        "series": [
            {
                "name": name,
                "type": "bar",
                "stack": "total",
                "data": list(values),
                **({"itemStyle": {"color": colours[name]}} if colours and name in colours else {}),
            }
            for name, values in stacks.items()
        ],
    }


def pie_chart(
    slices: dict[str, float], *, colours: dict[str, str] | None = None, title: str = ""
) -> dict[str, Any]:
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "item"},
        "series": [
            {
                "type": "pie",
                "radius": ["40%", "70%"],
                "data": [
                    {
                        "name": k,
                        "value": v,
                        **(
                            {"itemStyle": {"color": colours[k]}} if colours and k in colours else {}
                        ),
                    }
                    for k, v in slices.items()
                ],
            }
        ],
    }
