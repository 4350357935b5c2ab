"""The shell: home, public entry and notifications. Domain pages live in their apps."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coact.core.models import ApiToken, Notification


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("web:public")
    return redirect("/plan/")


def public(request: HttpRequest) -> HttpResponse:
    return redirect("/plan/public/")


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = Notification.objects.visible_to(request.user)[:200]
    response = render(request, "web/notifications.html", {"items": items})
    Notification.objects.visible_to(request.user).filter(read=False).update(read=True)
    return response


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """API tokens for the user's own scripts: the raw value is shown once, only its hash kept."""
    raw = None
    if request.method == "POST":
        name = request.POST.get("name", "").strip()[:100]
        if name:
            _token, raw = ApiToken.issue(request.user, name)
        else:
            messages.error(request, _("Give the token a name."))
    own = ApiToken.objects.filter(user=request.user).order_by("-created")
    return render(request, "web/tokens.html", {"tokens": own, "raw": raw})


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(user=request.user, pk=pk).first()
    if token is not None:
        token.revoked = True
        token.save(update_fields=["revoked"])
        messages.success(request, _("Token revoked."))
    return redirect("web:tokens")
