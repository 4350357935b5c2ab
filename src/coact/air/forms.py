from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

FORMAT_CHOICES = [
    ("", _("Detect from the header")),
    ("cnemc", _("CNEMC long format (date,hour,station,...)")),
    ("china_sites", _("china_sites daily file (date,hour,type,<stations>)")),
    ("generic", _("Generic CSV (station,time,<series>)")),
]


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Hourly station data (.csv)"))
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, required=False)
    skip_bad_rows = forms.BooleanField(
        label=_(
            "Import the good rows and skip the bad ones "
            "(default: a file with any bad row is rejected)"
        ),
        required=False,
    )
