"""Per-case-type hooks that apps built on the case engine register in AppConfig.ready().

The case app knows nothing about complaints or rectification; those apps tell it where a
case's page is, which extra form fields a transition takes, and what to do after one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ExtraField:
    name: str
    kind: str  # text | textarea | date | number | file
    label: str
    required: bool = False


@dataclass
class CaseTypeHooks:
    detail_url: str = "cases:detail"
    # Called inside the transition's database transaction, after the state changed.
    after_transition: list[Callable[..., None]] = field(default_factory=list)
    # Called before the engine check: may raise ValidationError (payload checks of the app).
    validate: list[Callable[..., None]] = field(default_factory=list)
    extra_fields: dict[str, list[ExtraField]] = field(default_factory=dict)
    # A panel of the type's own records on the case page: a template and its context.
    panel_template: str = ""
    panel_context: Callable[..., dict[str, Any]] | None = None


_HOOKS: dict[str, CaseTypeHooks] = {}


def hooks(case_type: str) -> CaseTypeHooks:
    return _HOOKS.setdefault(case_type, CaseTypeHooks())


def register(
    case_type: str,
    *,
    detail_url: str | None = None,
    after_transition: Callable[..., None] | None = None,
    validate: Callable[..., None] | None = None,
    extra_fields: dict[str, list[ExtraField]] | None = None,
    panel_template: str = "",
    panel_context: Callable[..., dict[str, Any]] | None = None,
) -> None:
    entry = hooks(case_type)
    if detail_url:
        entry.detail_url = detail_url
    if after_transition and after_transition not in entry.after_transition:
        entry.after_transition.append(after_transition)
    if validate and validate not in entry.validate:
        entry.validate.append(validate)
    if extra_fields:
        entry.extra_fields.update(extra_fields)
    if panel_template:
        entry.panel_template = panel_template
        entry.panel_context = panel_context


def detail_url_name(case_type: str) -> str:
    return hooks(case_type).detail_url


def run_after(case_type: str, *args: Any) -> None:
    for func in hooks(case_type).after_transition:
        func(*args)


def run_validate(case_type: str, *args: Any) -> None:
    for func in hooks(case_type).validate:
        func(*args)
