from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Satisfaction
from .services import categories, sub_categories


def category_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    groups = categories()
    out: dict[str, list[tuple[str, str]]] = {}
    for c in sub_categories():
        out.setdefault(groups[c.group].zh, []).append((c.code, c.zh))
    return list(out.items())


class PublicComplaintForm(forms.Form):
    category = forms.ChoiceField(label=_("What is it about?"), choices=category_choices)
    description = forms.CharField(
        label=_("Describe the problem"), widget=forms.Textarea(attrs={"rows": 5}), max_length=4000
    )
    address = forms.CharField(label=_("Where (address)"), max_length=300)
    lon = forms.FloatField(label=_("Longitude"), required=False, min_value=115, max_value=125)
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=28, max_value=36)
    enterprise = forms.CharField(
        label=_("Enterprise concerned (if known)"), required=False, max_length=200
    )
    anonymous = forms.BooleanField(label=_("Report anonymously"), required=False)
    reporter_name = forms.CharField(label=_("Your name"), required=False, max_length=100)
    reporter_phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    reporter_email = forms.EmailField(label=_("E-mail"), required=False)


class TrackForm(forms.Form):
    number = forms.CharField(label=_("Complaint number"), max_length=40)
    code = forms.CharField(label=_("Access code"), max_length=20)


FOLLOW_UP_METHODS = [
    ("phone", _("Phone")),
    ("on_site", _("On site")),
    ("sms", _("SMS")),
    ("letter", _("Letter")),
    ("other", _("Other")),
]
# Why two complaints look alike (coact.engines.textsim.DuplicateMatch.reasons).
DUPLICATE_REASONS = {
    "same_enterprise": _("same enterprise"),
    "same_address": _("same address"),
    "similar_text": _("similar text"),
}


class FollowUpForm(forms.Form):
    method = forms.ChoiceField(label=_("Method"), choices=FOLLOW_UP_METHODS)
    result = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 2}))
    satisfaction = forms.ChoiceField(label=_("Satisfaction"), choices=Satisfaction.choices)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=1000)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("12345 work-order file (.xlsx or .csv)"))
