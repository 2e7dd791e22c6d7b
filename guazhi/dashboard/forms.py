"""The dashboard's filters: programme, batch, district and period, read from the query string."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control w-auto"}, format="%Y-%m-%d")


class FilterForm(forms.Form):
    programme = forms.IntegerField(required=False, min_value=1)
    batch = forms.IntegerField(required=False, min_value=1)
    district = forms.CharField(label=_("区县"), required=False, max_length=40)
    start = forms.DateField(label=_("期间起"), required=False, widget=DATE)
    end = forms.DateField(label=_("期间止"), required=False, widget=DATE)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("期间止不能早于期间起（%(start)s）") % {"start": start})
        return data

    def values(self) -> dict:
        """The valid filters; a field with an error counts as not given."""
        data = getattr(self, "cleaned_data", {})
        return {
            "programme_id": data.get("programme"),
            "batch_id": data.get("batch"),
            "district": data.get("district") or "",
            "start": data.get("start") if "end" not in self.errors else None,
            "end": data.get("end"),
        }
