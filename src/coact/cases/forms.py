"""Forms built from the engine: a transition's form asks exactly for its required fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import FieldSpec, unit_choices

FIELD_LABELS = {
    "reason": _("Reason"),
    "reply": _("Reply to the reporter"),
    "conclusion": _("Conclusion"),
    "assignee": _("Assign to"),
    "evidence": _("Evidence file"),
    "extension": _("Extension requested"),
    "master_case_id": _("Number of the case to merge into"),
    "transferred_to": _("Transferred to"),
    "plan": _("Rectification measures"),
    "progress": _("Progress"),
    "measures": _("Measures taken"),
    "explanation": _("Explanation"),
    "completion_report": _("Completion report"),
    "verification_report": _("Verification report"),
    "document": _("Sign-off document (number, title)"),
    "deadline": _("Deadline"),
    "responsible_person": _("Responsible person"),
    "plan_deadline": _("Plan deadline"),
    "milestones": _("Milestones (one per line: YYYY-MM-DD what)"),
}


class TransitionForm(forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self, specs: Sequence[FieldSpec], *args: Any, extension_unit: str = "", **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        for spec in specs:
            label = FIELD_LABELS.get(spec.name, spec.label)
            if spec.name == "extension" and extension_unit:
                label = f"{label} ({extension_unit.replace('_', ' ')})"
            self.fields[spec.name] = _field(spec, label)

    def payload(self) -> dict[str, Any]:
        return {
            k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in self.cleaned_data.items()
            if k not in ("expected_version", "evidence") and v not in (None, "")
        }


def _field(spec: FieldSpec, label: Any) -> forms.Field:
    required = spec.required
    if spec.kind == "file":
        return forms.FileField(label=label, required=required)
    if spec.kind == "unit":
        return forms.ChoiceField(
            label=label, required=required, choices=[("", "—"), *unit_choices()]
        )
    if spec.kind == "date":
        return forms.DateField(
            label=label,
            required=required,
            widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        )
    if spec.kind == "number":
        return forms.FloatField(label=label, required=required, min_value=0)
    if spec.kind == "text":
        return forms.CharField(label=label, required=required, max_length=300)
    return forms.CharField(label=label, required=required, widget=forms.Textarea(attrs={"rows": 3}))


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}))


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("Evidence file"))
    note = forms.CharField(label=_("Note"), required=False, max_length=300)
