"""The one JSON API: each app contributes a router; OpenAPI docs at /api/docs."""

from __future__ import annotations

from ninja import NinjaAPI

from coact.core.api import install_error_handlers
from coact.core.api import router as core_router
from coact.plan.api import router as plan_router

api = NinjaAPI(
    title="CoAct API",
    version="1",
    description="Every capability of the CoAct pages, with the same roles and scopes. "
    "Authenticate with a session (CSRF token required for writes) "
    "or `Authorization: Bearer <token>`.",
    docs_url="/docs",
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/", core_router)
api.add_router("/", plan_router)
api.add_router("/", "coact.air.api.router")
api.add_router("/", "coact.emissions.api.router")
api.add_router("/", "coact.cases.api.router")
api.add_router("/", "coact.complaints.api.router")
api.add_router("/", "coact.rectification.api.router")
api.add_router("/", "coact.monitoring.api.router")
api.add_router("/", "coact.forecast.api.router")
