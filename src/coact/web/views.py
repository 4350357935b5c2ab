"""The shell: home, public entry and notifications. Domain pages live in their apps."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from coact.core.models import Notification


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
