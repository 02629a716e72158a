"""Forms of the pupils' pages: the list's search and filters, a sanction. They validate what people
type and say what is wrong in Chinese."""

from django import forms

from xueji.accounts.scoping import MAX_ID
from xueji.codes import GRADE_CHOICES, NumberKind, PupilStatus
from xueji.pupils.models import Sanction
from xueji.pupils.scoping import classes_visible_to
from xueji.web.forms import DateInput


class PupilFilterForm(forms.Form):
    """The search box and filters of the pupil list. Bad values are reported, not crashed on.

    The class list offers the classes of one school only (the chosen one, or the user's only
    school): a county holds over a thousand classes, too many for one drop-down and for a slow
    line. A class number in the address is checked against the user's scope, not the list."""

    q = forms.CharField(label="搜索", required=False, max_length=50)
    school = forms.TypedChoiceField(label="学校", required=False, coerce=int, empty_value=None)
    grade = forms.TypedChoiceField(
        label="年级", required=False, coerce=int, empty_value=None, choices=[("", "全部年级"), *GRADE_CHOICES]
    )
    school_class = forms.IntegerField(
        label="班级", required=False, min_value=1, max_value=MAX_ID, widget=forms.Select,
        error_messages={"invalid": "班级编号无效。", "min_value": "班级编号无效。", "max_value": "班级编号无效。"},
    )
    status = forms.ChoiceField(label="学籍状态", required=False, choices=[("", "全部状态"), *PupilStatus.choices])
    number_kind = forms.ChoiceField(
        label="学籍号类型", required=False,
        choices=[("", "全部学籍号"), *[(kind.value, f"{kind.value} 字头") for kind in NumberKind]],
    )

    def __init__(self, *args, user, schools=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["school"].choices = [("", "全部学校"), *[(s.pk, s.name) for s in schools]]
        for field in self.fields.values():
            field.error_messages["invalid_choice"] = "“%(value)s”不是可选的值，请重新选择。"
        school_id = self._chosen_school(schools)
        classes = classes_visible_to(user).filter(school_id=school_id).order_by("grade", "number") if school_id else []
        self.fields["school_class"].widget.choices = [("", "全部班级"), *[(c.pk, c.name) for c in classes]]

    def _chosen_school(self, schools) -> int | None:
        if len(schools) == 1:
            return schools[0].pk
        raw = self.data.get("school") if self.is_bound else None
        return int(raw) if raw and str(raw).isdigit() and any(s.pk == int(raw) for s in schools) else None

    def clean_school_class(self) -> int | None:
        """Any class of the user's scope is accepted (from a link), even if not in the list."""
        value = self.cleaned_data["school_class"]
        if value is not None and not classes_visible_to(self.user).filter(pk=value).exists():
            raise forms.ValidationError("没有这个班级，或您无权查看。")
        return value


class SanctionForm(forms.Form):
    kind = forms.ChoiceField(label="处分", choices=[("", "请选择"), *Sanction.Kind.choices])
    start_date = forms.DateField(label="处分日期", widget=DateInput())
    end_date = forms.DateField(label="解除日期（未定可不填）", required=False, widget=DateInput())
    reason = forms.CharField(label="事由", max_length=200)
