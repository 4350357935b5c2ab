"""Open311 GeoReport v2 endpoints (mounted at /open311/v2/): services and requests.

Follows the frozen GeoReport v2 spec (wiki.open311.org/GeoReport_v2): the format is chosen
by the extension (.json or .xml), errors are a list of {code, description}, times are ISO
8601 with a zone. The service list is the complaint category taxonomy (sub-types, with
their group). ``status`` is open/closed; ``status_notes`` carries FixMyStreet's extended
status. Privacy: the public (no ``api_key``) sees only status fields of the requests it
names; description, address and position go only to authenticated callers within scope,
and the reporter's contact never leaves through this API.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.etree import ElementTree

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

from coact.cases import services as cases
from coact.core.models import ApiToken

from . import services
from .models import Channel, Complaint

AGENCY = "南通市生态环境局"


def _render(
    request: HttpRequest, fmt: str, data: Any, root: str, item: str, status: int = 200
) -> HttpResponse:
    if fmt == "xml":
        element = ElementTree.Element(root)
        for entry in data:
            child = ElementTree.SubElement(element, item)
            for key, value in entry.items():
                ElementTree.SubElement(child, key).text = (
                    ""
                    if value is None
                    else str(value).lower()
                    if isinstance(value, bool)
                    else str(value)
                )
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ElementTree.tostring(
            element, encoding="utf-8"
        )
        return HttpResponse(body, content_type="text/xml; charset=utf-8", status=status)
    return JsonResponse(data, safe=False, status=status, json_dumps_params={"ensure_ascii": False})


def _error(request: HttpRequest, fmt: str, code: int, description: str) -> HttpResponse:
    return _render(
        request, fmt, [{"code": code, "description": description}], "errors", "error", status=code
    )


def _caller(request: HttpRequest) -> Any:
    key = request.GET.get("api_key") or request.POST.get("api_key") or ""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        key = header[7:]
    return ApiToken.user_for(key) if key else None


def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    groups = services.categories()
    data = [
        {
            "service_code": c.code,
            "service_name": c.zh,
            "description": c.en,
            "metadata": False,
            "type": "realtime",
            "keywords": f"{groups[c.group].zh},{c.en}",
            "group": groups[c.group].zh,
        }
        for c in services.sub_categories()
    ]
    return _render(request, fmt, data, "services", "service")


def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if code not in services.categories() or "." not in code:
        return _error(request, fmt, 404, f"unknown service_code {code}")
    data = [{"service_code": code, "attributes": []}]
    return _render(request, fmt, data, "service_definition", "service")


def _request_out(complaint: Complaint, full: bool) -> dict[str, Any]:
    case = complaint.case
    ct = cases.case_type("complaint")
    labels = services.categories()
    out: dict[str, Any] = {
        "service_request_id": case.number,
        "status": ct.open311_status(case.state),
        "status_notes": ct.states[case.state].fms_status,
        "service_code": case.category,
        "service_name": labels[case.category].zh if case.category in labels else case.category,
        "agency_responsible": str(case.responsible_department or AGENCY),
        "requested_datetime": case.received_at.isoformat(),
        "updated_datetime": case.updated_at.isoformat(),
        "expected_datetime": case.due_at.isoformat() if case.due_at else None,
    }
    if full:
        out.update(
            {
                "description": case.description,
                "address": case.address,
                "lat": case.lat,
                "long": case.lon,
                "service_notice": "",
            }
        )
    return out


@csrf_exempt
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    if request.method != "GET":
        return _error(request, fmt, 405, "GET or POST")
    user = _caller(request)
    ids = [i for i in request.GET.get("service_request_id", "").split(",") if i]
    if user is None:
        if not ids:
            return _render(request, fmt, [], "service_requests", "request")
        found = Complaint.objects.filter(case__number__in=ids[:50]).select_related(
            "case", "case__responsible_department"
        )
        return _render(
            request, fmt, [_request_out(c, False) for c in found], "service_requests", "request"
        )
    found = Complaint.objects.visible_to(user).select_related(
        "case", "case__responsible_department"
    )
    found = _filter(request, found, ids)
    return _render(
        request, fmt, [_request_out(c, True) for c in found[:1000]], "service_requests", "request"
    )


def _filter(request: HttpRequest, found: Any, ids: list[str]) -> Any:
    if ids:
        found = found.filter(case__number__in=ids)
    if request.GET.get("service_code"):
        found = found.filter(case__category__in=request.GET["service_code"].split(","))
    status = request.GET.get("status")
    if status in ("open", "closed"):
        found = (
            found.filter(case__state_group="open")
            if status == "open"
            else found.exclude(case__state_group="open")
        )
    for key, lookup in (
        ("start_date", "case__received_at__gte"),
        ("end_date", "case__received_at__lte"),
    ):
        moment = _iso_time(request.GET.get(key, ""))
        if moment is not None:
            found = found.filter(**{lookup: moment})
    return found.order_by("-case__received_at")


def _iso_time(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    user = _caller(request)
    try:
        lat = float(data["lat"]) if data.get("lat") else None
        lon = float(data["long"]) if data.get("long") else None
    except ValueError:
        return _error(request, fmt, 400, "lat and long must be numbers")
    if not (data.get("address_string") or lat is not None):
        return _error(request, fmt, 400, "a location is required: lat and long, or address_string")
    name = " ".join(x for x in (data.get("first_name", ""), data.get("last_name", "")) if x).strip()
    source = data.get("source", "online") if user is not None else "online"
    try:
        complaint, code = services.file_complaint(
            services.ComplaintInput(
                description=data.get("description", ""),
                category=data.get("service_code", ""),
                address=data.get("address_string", ""),
                lon=lon,
                lat=lat,
                source=source,
                reporter_name=name,
                reporter_phone=data.get("phone", ""),
                reporter_email=data.get("email", ""),
                anonymous=not (data.get("phone") or data.get("email")),
            ),
            channel=Channel.OPEN311,
            by=user if user is not None and user.is_office else None,
        )
    except ValidationError as exc:
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        return _error(request, fmt, 400, detail)
    except PermissionDenied as exc:
        return _error(request, fmt, 403, str(exc))
    body = [
        {
            "service_request_id": complaint.case.number,
            "service_notice": "",
            "account_id": None,
            "access_code": code,
        }
    ]
    return _render(request, fmt, body, "service_requests", "request", status=201)


def request_detail(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    user = _caller(request)
    if user is None:
        found = Complaint.objects.filter(case__number=number).select_related("case").first()
    else:
        found = (
            Complaint.objects.visible_to(user)
            .filter(case__number=number)
            .select_related("case")
            .first()
        )
    if found is None:
        return _error(request, fmt, 404, f"no service request {number}")
    return _render(
        request, fmt, [_request_out(found, user is not None)], "service_requests", "request"
    )


FORMAT = r"\.(?P<fmt>json|xml)$"
urlpatterns = [
    re_path(r"^services" + FORMAT, service_list, name="open311_services"),
    re_path(r"^services/(?P<code>[\w.]+)" + FORMAT, service_definition, name="open311_service"),
    re_path(r"^requests" + FORMAT, requests_view, name="open311_requests"),
    re_path(r"^requests/(?P<number>[\w-]+)" + FORMAT, request_detail, name="open311_request"),
]
