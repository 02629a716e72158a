"""Forms of the pupils' pages: a sanction (the list's search and filters are xueji.pupils.filters).
They validate what people type and say what is wrong in Chinese."""

from django import forms

from xueji.forms import DateInput
from xueji.pupils.models import Sanction


class SanctionForm(forms.Form):
    kind = forms.ChoiceField(label="处分", choices=[("", "请选择"), *Sanction.Kind.choices])
    start_date = forms.DateField(label="处分日期", widget=DateInput())
    end_date = forms.DateField(label="解除日期（未定可不填）", required=False, widget=DateInput())
    reason = forms.CharField(label="事由", max_length=200)
