"""Chinese by default: the browser's Accept-Language is ignored, only an explicit choice counts.

Bureau staff use browsers set to whatever the IT department installed; the platform is
Chinese first. English is one click away (the language switcher stores the choice in a cookie).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class IgnoreAcceptLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
