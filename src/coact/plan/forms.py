from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Status


class ObservationForm(forms.Form):
    value = forms.FloatField(label=_("Value"))
    period_start = forms.DateField(
        label=_("Period from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("Period to"), widget=forms.DateInput(attrs={"type": "date"})
    )
    source = forms.CharField(label=_("Source"), max_length=300)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence = forms.FileField(label=_("Evidence file"), required=False)


class TaskReportForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.IntegerField(label=_("Quarter"), min_value=1, max_value=4)
    percent_done = forms.IntegerField(label=_("Percent done"), min_value=0, max_value=100)
    narrative = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 4}))
    problems = forms.CharField(
        label=_("Problems"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence = forms.FileField(label=_("Evidence file"), required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class OverrideForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class WorkbookUploadForm(forms.Form):
    file = forms.FileField(label=_("Filled workbook (.xlsx)"))
