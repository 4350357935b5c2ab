"""Status reasons in the page's language (the progress engine gives a code and values)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

REASONS = {
    "no_observation": _("no value on or before %(as_of)s"),
    "no_target": _("the indicator has no target"),
    "no_provincial_target": _("the provincial target has not been entered"),
    "no_base": _("no base-year value (%(base_year)s) to compare with"),
    "zero_base": _("the base value is 0: a change against it is undefined"),
    "only_base": _("only base-year values so far: no progress to judge yet"),
    "met": _("the latest value meets the target"),
    "deadline_passed": _("the deadline %(deadline)s has passed and the target is not met"),
    "flat_short": _(
        "the target applies now; short of it by %(share)s%% (at-risk limit %(limit)s%%)"
    ),
    "due_soon": _("not met, and the deadline is %(days)s days away"),
    "not_yet_due": _("not yet met; judged at the deadline (%(days)s days away)"),
    "trajectory": _("%(progress)s%% of the progress due by %(date)s has been made"),
}


@register.filter
def status_reason(detail: dict[str, Any] | None) -> str:
    if not detail:
        return ""
    text = REASONS.get(detail.get("code", ""))
    if text is None:
        return str(detail.get("reason", ""))
    try:
        return str(text) % detail.get("params", {})
    except (KeyError, TypeError, ValueError):
        return str(detail.get("reason", ""))
