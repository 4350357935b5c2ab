"""Chart options of the emissions pages, built from stored results with coact.core.charts."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from coact.core import charts
from coact.core.templatetags.coact import bilingual

from . import engine

QUADRANT_COLOURS = {"I": "#2e7d32", "II": "#f9a825", "III": "#c62828", "IV": "#ef6c00"}
# The co-control engine's plain words (coact.engines.inventory.metrics.classify), for pages.
CLASSIFICATION_LABELS = {
    "both reduced": gettext_lazy("both reduced"),
    "trade-off": gettext_lazy("trade-off"),
    "pollutants only": gettext_lazy("pollutants only"),
    "CO2 only": gettext_lazy("CO2 only"),
    "neither": gettext_lazy("neither"),
}
PORTFOLIO_LABEL = gettext_lazy("all applied measures together")
AXIS_LABEL = gettext_lazy("on an axis")


def measure_label(row: dict[str, Any]) -> str:
    """A metrics row's measure in the page language (catalogue names read "中文 / English")."""
    if row.get("measure") == "portfolio":
        return str(PORTFOLIO_LABEL)
    return bilingual(row.get("name") or row.get("measure") or "")


def with_labels(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Metrics rows with ``label`` and ``classification_label`` in the page language."""
    return [
        {
            **row,
            "label": measure_label(row),
            "quadrant_label": str(AXIS_LABEL)
            if row.get("quadrant") == "axis"
            else row.get("quadrant", ""),
            "classification_label": str(
                CLASSIFICATION_LABELS.get(row.get("classification", ""), row.get("classification"))
            ),
        }
        for row in rows
    ]


def _mark(title: str, illustrative: bool) -> str:
    return f"{title} ({_('illustrative')})" if illustrative else title


def stacked_by_sector(results: dict[str, Any], pollutant: str) -> dict[str, Any]:
    language = get_language() or "zh-hans"
    stacks = {
        engine.sector_label(sector, language): values
        for sector, values in results["by_sector"].get(pollutant, {}).items()
        if any(abs(v or 0.0) > 0 for v in values)
    }
    return charts.stacked_area_chart(
        results["years"],
        stacks,
        y_name="t",
        title=_mark(_("%(p)s emissions by sector") % {"p": pollutant}, results["illustrative"]),
    )


def waterfall(results: dict[str, Any], pollutant: str) -> dict[str, Any]:
    """Target-year emissions without measures, each measure's reduction alone, their interaction,
    and the emissions with all measures."""
    last = -1
    without = results["reference_totals"][pollutant][last]
    with_all = results["totals"][pollutant][last]
    key = f"reduction_{pollutant}"
    rows = [r for r in results["metrics"] if r["measure"] != "portfolio"]
    steps = [
        (measure_label(r), -(r.get(key) or 0.0)) for r in rows if abs(r.get(key) or 0.0) > 1e-6
    ]
    steps.sort(key=lambda step: step[1])
    interaction = (with_all - without) - sum(delta for _, delta in steps)
    if abs(interaction) > 1e-6 * max(abs(without), 1.0):
        steps.append((_("interaction"), interaction))
    return charts.waterfall_chart(
        (_("without measures"), without),
        steps,
        _("with measures"),
        labels=(_("Total"), _("Reduction"), _("Increase")),
        y_name="t",
        title=_mark(
            _("%(p)s in %(y)s: reductions by measure")
            % {"p": pollutant, "y": results["target_year"]},
            results["illustrative"],
        ),
    )


def co_control_scatter(results: dict[str, Any]) -> dict[str, Any]:
    points = [
        {
            "name": measure_label(r),
            "x": r.get("reduction_APeq") or 0.0,
            "y": r.get("reduction_CO2") or 0.0,
            "colour": QUADRANT_COLOURS.get(r.get("quadrant", ""), "#9e9e9e"),
        }
        for r in results["metrics"]
        if r["measure"] != "portfolio"
    ]
    return charts.quadrant_scatter(
        points,
        x_name=_("Air-pollutant-equivalent reduction (t APeq)"),
        y_name=_("CO2 reduction (t)"),
        quadrant_labels={
            "I": _("I: both reduced"),
            "II": _("II: CO2 only"),
            "III": _("III: both increased"),
            "IV": _("IV: pollutants only"),
        },
        title=_mark(
            _("Co-control of measures in %(y)s") % {"y": results["target_year"]},
            results["illustrative"],
        ),
    )


def cost_curve(curves: dict[str, Any]) -> dict[str, Any]:
    """The sorted curve as steps of width = reduction, height = cost per tonne; the re-solved
    curve as marginal cost between least-cost steps. Large reductions are shown in kt."""
    widest = max([r["cumulative_reduction_t"] for r in curves["sorted"]] + [0.0])
    scale, unit = (1000.0, "kt") if widest > 1e5 else (1.0, "t")
    sorted_points: list[list[float]] = []
    start = 0.0
    for row in curves["sorted"]:
        end = row["cumulative_reduction_t"] / scale
        sorted_points += [[start, row["cost_per_t"]], [end, row["cost_per_t"]]]
        start = end
    resolved_points: list[list[float]] = []
    previous = None
    for row in curves["resolved"]:
        reduction = row["reduction_t"] / scale
        if row["marginal_cost_per_t"] is not None and previous is not None:
            resolved_points += [
                [previous, row["marginal_cost_per_t"]],
                [reduction, row["marginal_cost_per_t"]],
            ]
        previous = reduction
    pollutant = curves["pollutant"]
    return charts.xy_curve_chart(
        [
            {"name": _("Sorted by unit cost"), "points": sorted_points, "colour": "#1565c0"},
            {
                "name": _("Re-solved least cost (marginal)"),
                "points": resolved_points,
                "dashed": True,
                "colour": "#c62828",
            },
        ],
        x_name=_("%(p)s reduction (%(u)s)") % {"p": pollutant, "u": unit},
        y_name=_("CNY per t"),
        title=_mark(
            _("Marginal abatement cost curve, %(p)s") % {"p": pollutant}, curves["illustrative"]
        ),
    )


def comparison_chart(data: dict[str, Any], pollutant: str) -> dict[str, Any]:
    rows = data["scenarios"]
    years = rows[0]["years"] if rows else []
    return charts.line_chart(
        years,
        [
            {"name": _mark(r["name"], r["illustrative"]), "data": r["totals"].get(pollutant, [])}
            for r in rows
        ],
        y_name="t",
        title=_("%(p)s by scenario") % {"p": pollutant},
    )
