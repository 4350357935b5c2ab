"""Labels of case types, states and transitions from the engine's data, in the page language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from coact.cases import services

register = template.Library()


def _language() -> str:
    return get_language() or "zh"


@register.filter
def case_type_label(name: str) -> str:
    ct = services.case_types().get(name)
    if ct is None:
        return name
    return ct.en if _language().startswith("en") else ct.zh


@register.filter
def state_label(case: Any) -> str:
    return services.state_label(case.case_type, case.state, _language())


@register.filter
def transition_label(update: Any) -> str:
    return services.transition_label(update.case.case_type, update.transition, _language())


@register.simple_tag(takes_context=True)
def query_with(context: Any, **changes: Any) -> str:
    """The current query string with some parameters replaced (pagination links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()


def _vocabulary_label(section: str, code: str) -> str:
    """A code of vocabulary.yaml's ``section`` in the page language (the code if unknown)."""
    from coact.engines.workflow import vocabulary

    label = (vocabulary().get(section) or {}).get(code)
    if not label:
        return code or "—"
    return label["en"] if _language().startswith("en") else label["zh"]


@register.filter
def source_label(code: str) -> str:
    """Intake source code (vocabulary.yaml) in the page language."""
    return _vocabulary_label("sources", code)


@register.filter
def category_label(code: str) -> str:
    """Complaint category code (categories.yaml, ``group.sub_type``) in the page language."""
    from coact.engines.sla import complaint_categories

    category = complaint_categories().get(code or "")
    if category is None:
        other = OTHER_CATEGORIES.get(code or "")
        return str(other) if other is not None else (code or "—")
    return category.en if _language().startswith("en") else category.zh


# Categories of cases opened by the system rather than from the complaint catalogue: the
# online-monitoring alarm categories (data/monitoring/alarm_rules.yaml) and the ozone forecast.
OTHER_CATEGORIES = {
    "exceedance": _("Emission over the limit"),
    "data_quality": _("Monitoring data quality"),
    "process": _("Process condition"),
    "security": _("Device security"),
    "ozone": _("Ozone pollution"),
}


@register.filter
def case_state(state: str, case_type_name: str) -> str:
    """``{{ update.to_state|case_state:case.case_type }}``: a state in the page language."""
    return services.state_label(case_type_name, state, _language()) if state else "—"


@register.filter
def role_label(code: str) -> str:
    """Engine role code (vocabulary.yaml ``roles``, e.g. "system") in the page language."""
    return _vocabulary_label("roles", code)
