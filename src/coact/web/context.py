"""Navigation shown on every page, by role."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        public = [
            (_("Public dashboard"), "/public/"),
            (_("Air quality"), "/air/"),
            (_("Ozone forecast"), "/forecast/"),
            (_("File a complaint"), "/complaints/new/"),
            (_("Follow my complaint"), "/complaints/track/"),
        ]
        return {"nav": public, "unread": 0}
    items = [
        (_("Dashboard"), "/"),
        (_("Tasks"), "/plan/tasks/"),
        (_("Indicators"), "/plan/indicators/"),
        (_("Air quality"), "/air/"),
        (_("Ozone forecast"), "/forecast/"),
        (_("Emission scenarios"), "/emissions/"),
        (_("Online monitoring"), "/monitoring/"),
        (_("Cases"), "/cases/"),
        (_("Complaints"), "/complaints/"),
        (_("Rectification"), "/rectification/"),
        (_("Report"), "/plan/workbook/"),
    ]
    if user.is_office:
        items += [(_("Approvals"), "/plan/approvals/"), (_("Assessment"), "/plan/assessment/")]
    items.append((_("API"), "/api/docs"))
    return {"nav": items, "unread": user.notifications.filter(read=False).count()}
