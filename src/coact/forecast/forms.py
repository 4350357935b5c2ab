from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from coact.core.models import Enterprise

from .models import WarningLevel


class MeasureForm(forms.Form):
    enterprise = forms.ModelChoiceField(Enterprise.objects.order_by("name"), label=_("Enterprise"))
    level = forms.ChoiceField(choices=WarningLevel.choices, label=_("Warning level"))
    measure = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("Measure"))
    nox_kg_day = forms.FloatField(min_value=0, label=_("NOx reduction (kg/day)"))
    vocs_kg_day = forms.FloatField(min_value=0, label=_("VOCs reduction (kg/day)"))
    valid_from = forms.DateField(
        label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        required=False, label=_("Valid to"), widget=forms.DateInput(attrs={"type": "date"})
    )
    source = forms.CharField(max_length=300, required=False, label=_("Source"))


class MeasureImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))
