"""API plumbing shared by every app: authentication, error shapes, the user's own data."""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth

from .importing import ImportRejected
from .models import ApiToken, Notification


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` for machine clients; same permissions as the user."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = ApiToken.user_for(token)
        if user is not None:
            request.user = user  # scope checks and the audit trail read request.user
        return user


def allow_anonymous(request: HttpRequest) -> Any:
    """Read endpoints also answer the public, with the public scope only."""
    return request.user


token_auth = TokenAuth()
WRITE_AUTH = [token_auth, django_auth]
READ_AUTH = [token_auth, django_auth, allow_anonymous]


def install_error_handlers(api: Any) -> None:
    """Business errors become JSON that names the field or row at fault."""

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> Any:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return api.create_response(request, {"detail": detail}, status=400)

    @api.exception_handler(PermissionDenied)
    def permission_denied(request: HttpRequest, exc: PermissionDenied) -> Any:
        return api.create_response(request, {"detail": str(exc) or "permission denied"}, status=403)

    @api.exception_handler(ImportRejected)
    def import_rejected(request: HttpRequest, exc: ImportRejected) -> Any:
        return api.create_response(
            request,
            {"detail": "nothing was imported", "errors": [e.as_dict() for e in exc.errors]},
            status=400,
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> Any:
        return api.create_response(request, {"detail": str(exc) or "not found"}, status=404)


router = Router(tags=["core"])


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    department: str | None
    region: str | None
    enterprise: str | None


@router.get("/me", response=MeOut, auth=WRITE_AUTH)
def me(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "department": user.department.code if user.department else None,
        "region": user.region.code if user.region else None,
        "enterprise": user.enterprise.uscc if user.enterprise else None,
    }


class NotificationOut(Schema):
    id: int
    created: Any
    text: str
    link: str
    read: bool


@router.get("/notifications", response=list[NotificationOut], auth=WRITE_AUTH)
def notifications(request: HttpRequest) -> Any:
    return Notification.objects.visible_to(request.user)[:100]


class AuditOut(Schema):
    timestamp: Any
    actor: str | None
    action: str
    changes: Any


@router.get("/audit/{app_label}/{model}/{pk}", response=list[AuditOut], auth=WRITE_AUTH)
def audit_trail(request: HttpRequest, app_label: str, model: str, pk: int) -> Any:
    """The history of one record, if the caller may see the record itself."""
    try:
        model_class = apps.get_model(app_label, model)
    except LookupError as exc:
        raise HttpError(404, f"no model {app_label}.{model}") from exc
    manager = getattr(model_class.objects, "visible_to", None)
    if manager is None:
        raise HttpError(403, "this record type has no public history")
    obj = model_class.objects.visible_to(request.user).filter(pk=pk).first()
    if obj is None:
        raise HttpError(404, f"{app_label}.{model} {pk} not found")
    entries = LogEntry.objects.get_for_object(obj).select_related("actor").order_by("-timestamp")
    return [
        {
            "timestamp": e.timestamp,
            "actor": str(e.actor) if e.actor else None,
            "action": e.get_action_display(),
            "changes": e.changes_dict,
        }
        for e in entries
    ]
