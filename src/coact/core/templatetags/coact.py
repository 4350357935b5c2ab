"""Template tags shared by every app: charts, localised data fields, audit entries."""

from __future__ import annotations

import itertools
import json
from typing import Any

from django import template
from django.utils.html import format_html, json_script
from django.utils.translation import get_language

from coact.core import audit

register = template.Library()
_chart_ids = itertools.count(1)


@register.simple_tag
def echart(option: dict[str, Any], height: str = "320px") -> str:
    """A chart container with its option as JSON; charts.js draws it (no inline script)."""
    chart_id = f"chart-{next(_chart_ids)}"
    # Lazy translations and dates become plain strings before json_script escapes the JSON.
    plain = json.loads(json.dumps(option, ensure_ascii=False, default=str))
    return format_html(
        '<div class="chart" id="{}" data-echart style="height:{}"></div>{}',
        chart_id,
        height,
        json_script(plain, f"{chart_id}-option"),
    )


@register.filter
def localized(obj: Any, field: str) -> str:
    """``obj.<field>_en`` when the page is in English and it is filled, else ``obj.<field>``."""
    if (get_language() or "").startswith("en"):
        english = getattr(obj, f"{field}_en", "")
        if english:
            return english
    return getattr(obj, field, "")


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key) if mapping else None


@register.filter
def bilingual(text: str) -> str:
    """``"中文 / English"`` data labels: the part in the page's language."""
    if not text or " / " not in text:
        return text
    chinese, english = text.split(" / ", 1)
    return english if (get_language() or "").startswith("en") else chinese


@register.simple_tag
def audit_changes(entry: Any, obj: Any = None) -> list[audit.Change]:
    """``{% audit_changes entry [record] as changes %}``: the entry's changes as people read
    them (coact.core.audit.readable_changes); give the record for its own value wording."""
    return audit.readable_changes(entry, obj)


@register.filter
def audit_action(entry: Any) -> str:
    """ "created" / "changed" / "deleted" of an audit entry, in the page language."""
    return audit.action_label(entry)
