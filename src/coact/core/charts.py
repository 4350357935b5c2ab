"""The one chart helper: ECharts option dicts built in Python, rendered by one template tag.

Views build an option with these functions and pass it to ``{% echart option %}``; the
page's ``charts.js`` initialises every chart. Nothing here knows about a domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy

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


def calendar_heatmap(
    year: int,
    data: Sequence[Sequence[Any]],
    pieces: Sequence[dict[str, Any]],
    *,
    dimension: int = 1,
    title: str = "",
    cell_size: int | str = "auto",
    empty_colour: str = "#ffffff",
) -> dict[str, Any]:
    """A year calendar with one coloured cell per day (``empty_colour`` where a day has no value).

    ``data``: rows ``[ISO date, value, ...]``; ``pieces``: ECharts piecewise visualMap pieces
    (``{"value"|"min"/"max", "color", "label"}``) applied to column ``dimension`` of the rows,
    so a row may show one number (column 1) and be coloured by a class (another column).
    """
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"position": "top"},
        "visualMap": {
            "type": "piecewise",
            "dimension": dimension,
            "pieces": list(pieces),
            "orient": "horizontal",
            "left": "center",
            "bottom": 0,
        },
        "calendar": {
            "range": str(year),
            "cellSize": ["auto", cell_size],
            "top": 50,
            "left": 40,
            "right": 20,
            "bottom": 60,
            "yearLabel": {"show": False},
            "splitLine": {"lineStyle": {"color": "#ffffff", "width": 1}},
            "itemStyle": {"color": empty_colour, "borderColor": "#ffffff", "borderWidth": 1},
        },
        "series": [
            {"type": "heatmap", "coordinateSystem": "calendar", "data": [list(r) for r in data]}
        ],
    }


def scatter_map(
    points: Sequence[dict[str, Any]],
    *,
    title: str = "",
    x_name: str = gettext_lazy("Longitude"),
    y_name: str = gettext_lazy("Latitude"),
    symbol_size: int = 18,
) -> dict[str, Any]:
    """Points on plain x/y value axes (e.g. lon/lat, no basemap): ``points`` are dicts with
    ``name``, ``x``, ``y`` and optional ``value`` (shown in the tooltip) and ``colour``."""
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "item"},
        "grid": {"left": 60, "right": 110, "top": 40, "bottom": 40},  # room for point labels
        "xAxis": {"type": "value", "name": x_name, "scale": True},
        "yAxis": {"type": "value", "name": y_name, "scale": True},
        "series": [
            {
                "type": "scatter",
                "symbolSize": symbol_size,
                "label": {"show": True, "formatter": "{b}", "position": "right"},
                "data": [
                    {
                        "name": p["name"],
                        "value": [p["x"], p["y"], p.get("value")],
                        **({"itemStyle": {"color": p["colour"]}} if p.get("colour") else {}),
                    }
                    for p in points
                ],
            }
        ],
    }


def stacked_area_chart(
    x: Sequence[Any],
    stacks: dict[str, Sequence[float]],
    *,
    colours: dict[str, str] | None = None,
    y_name: str = "",
    title: str = "",
) -> dict[str, Any]:
    """One filled line per key of ``stacks``, stacked on each other over the categories ``x``."""
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0, "type": "scroll"},
        "grid": {"left": 70, "right": 20, "top": 40, "bottom": 60},
        "xAxis": {"type": "category", "boundaryGap": False, "data": list(x)},
        "yAxis": {"type": "value", "name": y_name},
        "series": [
            {
                "name": name,
                "type": "line",
                "stack": "total",
                "areaStyle": {},
                "symbol": "none",
                "data": list(values),
                **({"itemStyle": {"color": colours[name]}} if colours and name in colours else {}),
            }
            for name, values in stacks.items()
        ],
    }


def waterfall_chart(
    start: tuple[str, float],
    steps: Sequence[tuple[str, float]],
    end_label: str,
    *,
    labels: tuple[str, str, str] = ("Total", "Decrease", "Increase"),
    y_name: str = "",
    title: str = "",
) -> dict[str, Any]:
    """A bridge from a starting total through signed ``steps`` to the resulting total.

    Drawn as stacked bars over a transparent base series (ECharts has no waterfall type);
    ``labels`` name the total, decrease and increase series.
    """
    categories = [start[0], *[name for name, _ in steps], end_label]
    total, base, down, up = [start[1]], ["-"], ["-"], ["-"]
    level = start[1]
    for _, delta in steps:
        after = level + delta
        base.append(min(level, after))
        down.append(-delta if delta < 0 else "-")
        up.append(delta if delta >= 0 else "-")
        total.append("-")
        level = after
    total.append(level)
    base.append("-")
    down.append("-")
    up.append("-")
    total_name, down_name, up_name = labels
    bar = {"type": "bar", "stack": "bridge"}
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"bottom": 0, "data": [total_name, down_name, up_name]},
        "grid": {"left": 70, "right": 20, "top": 40, "bottom": 110},
        "xAxis": {
            "type": "category",
            "data": categories,
            "axisLabel": {"rotate": 40, "interval": 0, "fontSize": 10},
        },
        "yAxis": {"type": "value", "name": y_name},
        "series": [
            {
                **bar,
                "name": "base",
                "data": base,
                "itemStyle": {"color": "transparent"},
                "emphasis": {"disabled": True},
                "tooltip": {"show": False},
            },
            {**bar, "name": total_name, "data": total, "itemStyle": {"color": "#546e7a"}},
            {**bar, "name": down_name, "data": down, "itemStyle": {"color": "#2e7d32"}},
            {**bar, "name": up_name, "data": up, "itemStyle": {"color": "#c62828"}},
        ],
    }


def _nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 x 10^k not below ``value`` (axis limits with round labels)."""
    import math

    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def quadrant_scatter(
    points: Sequence[dict[str, Any]],
    *,
    x_name: str = "",
    y_name: str = "",
    quadrant_labels: dict[str, str] | None = None,
    title: str = "",
) -> dict[str, Any]:
    """Points on value axes crossing at the origin, quadrants I-IV shaded and labelled.

    ``points``: dicts with ``name``, ``x``, ``y`` and optional ``colour``; ``quadrant_labels``
    maps "I".."IV" (anticlockwise from top right) to the text shown in each quadrant.
    """
    reach_x = _nice_ceiling(max([abs(float(p["x"])) for p in points] + [1.0]) * 1.1)
    reach_y = _nice_ceiling(max([abs(float(p["y"])) for p in points] + [1.0]) * 1.1)
    corners = {"I": (1, 1), "II": (-1, 1), "III": (-1, -1), "IV": (1, -1)}
    shades = {"I": "rgba(46,125,50,0.08)", "III": "rgba(198,40,40,0.08)"}
    areas = [
        [
            {
                "name": (quadrant_labels or {}).get(q, q),
                "coord": [0, 0],
                "itemStyle": {"color": shades.get(q, "rgba(249,168,37,0.06)")},
            },
            {"coord": [sx * reach_x, sy * reach_y]},
        ]
        for q, (sx, sy) in corners.items()
    ]
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "item"},
        "grid": {"left": 90, "right": 40, "top": 40, "bottom": 50},
        "xAxis": {
            "type": "value",
            "name": x_name,
            "nameLocation": "middle",
            "nameGap": 28,
            "min": -reach_x,
            "max": reach_x,
            "axisLine": {"onZero": True},
        },
        "yAxis": {
            "type": "value",
            "name": y_name,
            "nameLocation": "middle",
            "nameGap": 64,
            "min": -reach_y,
            "max": reach_y,
            "axisLine": {"onZero": True},
        },
        "series": [
            {
                "type": "scatter",
                "symbolSize": 12,
                "label": {"show": True, "formatter": "{b}", "position": "right", "fontSize": 10},
                "markArea": {
                    "silent": True,
                    "label": {"position": "inside", "color": "#5f6b7a"},
                    "data": areas,
                },
                "data": [
                    {
                        "name": p["name"],
                        "value": [p["x"], p["y"]],
                        **({"itemStyle": {"color": p["colour"]}} if p.get("colour") else {}),
                    }
                    for p in points
                ],
            }
        ],
    }


def xy_curve_chart(
    series: Sequence[dict[str, Any]],
    *,
    x_name: str = "",
    y_name: str = "",
    title: str = "",
) -> dict[str, Any]:
    """Lines through ``[x, y]`` points on two value axes (cost curves, step curves).

    ``series``: dicts with ``name``, ``points`` and optional ``step`` ("start", "middle",
    "end"), ``dashed`` and ``colour``.
    """
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 80, "right": 30, "top": 40, "bottom": 60},
        "xAxis": {"type": "value", "name": x_name, "nameLocation": "middle", "nameGap": 26},
        "yAxis": {"type": "value", "name": y_name},
        "series": [
            {
                "name": s["name"],
                "type": "line",
                "step": s.get("step", False),
                "data": [list(point) for point in s["points"]],
                "lineStyle": {"type": "dashed" if s.get("dashed") else "solid"},
                **({"itemStyle": {"color": s["colour"]}} if s.get("colour") else {}),
            }
            for s in series
        ],
    }


def scatter_chart(
    series: Sequence[dict[str, Any]],
    *,
    x_name: str = "",
    y_name: str = "",
    title: str = "",
) -> dict[str, Any]:
    """``series``: dicts with ``name`` and ``data`` as [x, y] or [x, y, size] points; a third
    value scales the symbol (square root, so the area grows with the value)."""

    def point(p: Sequence[Any]) -> dict[str, Any]:
        size = 10 if len(p) < 3 else max(6.0, 8 * float(p[2]) ** 0.5)
        return {"value": list(p), "symbolSize": round(size, 1)}

    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "item"},
        "legend": {"bottom": 0},
        "grid": {"left": 60, "right": 20, "top": 40, "bottom": 50},
        "xAxis": {"type": "value", "name": x_name, "scale": True},
        "yAxis": {"type": "value", "name": y_name, "scale": True},
        "series": [
            {
                "name": s["name"],
                "type": "scatter",
                "data": [point(p) for p in s["data"]],
                **({"itemStyle": {"color": s["colour"]}} if s.get("colour") else {}),
            }
            for s in series
        ],
    }


def band_line_chart(
    x: Sequence[Any],
    series: Sequence[dict[str, Any]],
    band: dict[str, Any] | None = None,
    *,
    y_name: str = "",
    title: str = "",
) -> dict[str, Any]:
    """A line chart with a shaded band (e.g. a forecast's 10-90 % range) behind the lines.

    ``series`` as in :func:`line_chart`; ``band``: ``name``, ``lower``, ``upper`` (same
    length as ``x``, None for gaps) and optional ``colour``. The band is drawn as two stacked
    series: an invisible lower edge and the width above it.
    """
    option = line_chart(x, series, y_name=y_name, title=title)
    if band is None:
        return option
    lower = list(band["lower"])
    width = [
        None if lo is None or hi is None else round(hi - lo, 3)
        for lo, hi in zip(lower, band["upper"], strict=True)
    ]
    colour = band.get("colour", "#90caf9")
    edge = {"type": "line", "stack": "band", "symbol": "none", "connectNulls": False}
    option["series"] = [
        {
            **edge,
            "name": f"{band['name']} (lower)",
            "data": lower,
            "lineStyle": {"opacity": 0},
            "tooltip": {"show": False},
        },
        {
            **edge,
            "name": band["name"],
            "data": width,
            "lineStyle": {"opacity": 0},
            "areaStyle": {"color": colour, "opacity": 0.35},
            "itemStyle": {"color": colour},
        },
        *option["series"],
    ]
    option["legend"]["data"] = [band["name"], *[s["name"] for s in series]]
    return option
