"""Forms of dropouts/: plain input; the rules are the services'."""

from django import forms

from dropouts.models import CaseStep, DropoutCase, LedgerAttempt
from xueji.codes import nationality_choices
from xueji.forms import AttachmentsField, DateInput, MultipleFileInput
from xueji.pupils.models import SchoolClass

DATE = DateInput()


class AbsenceForm(forms.Form):
    day = forms.DateField(label="缺课日期", widget=DATE)
    explained = forms.BooleanField(label="已说明原因（病假、事假等）", required=False)
    note = forms.CharField(label="说明", max_length=200, required=False)


class ConfirmForm(forms.Form):
    ground = forms.ChoiceField(label="辍学情形", choices=DropoutCase.Ground.choices)
    ground_note = forms.CharField(label="情形说明", max_length=200, required=False)
    country = forms.ChoiceField(label="前往国家（地区）", required=False,
                                help_text="出境未向学校申请时填写，知道的话。")
    left_on = forms.DateField(label="出境日期", required=False, widget=DATE, help_text="出境未向学校申请时填写，知道的话。")
    contacts_tried = forms.CharField(
        label="联系家长情况", widget=forms.Textarea(attrs={"rows": 4}),
        help_text="写明学校多次联系监护人要求复学的时间、方式和结果。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "（不填）"), *[c for c in nationality_choices() if c[0] != "CHN"]]


class StepForm(forms.Form):
    kind = forms.ChoiceField(label="步骤", choices=[(k.value, k.label) for k in CaseStep.Kind if k in (
        CaseStep.Kind.HOME_VISIT, CaseStep.Kind.NOTICE, CaseStep.Kind.REFERRAL)])
    day = forms.DateField(label="日期", widget=DATE)
    visitors = forms.CharField(label="家访人员（家访）", max_length=200, required=False)
    outcome = forms.CharField(label="家访结果（家访）", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    deadline = forms.DateField(label="限期复学日期（通知书）", widget=DATE, required=False)
    referred_to = forms.CharField(label="移交单位（报乡镇政府或街道办）", max_length=100, required=False)
    text = forms.CharField(label="情况及采取的措施", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    photos = AttachmentsField(
        label="家访照片（家访）", required=False, help_text="JPG 或 PNG，每张不超过 2 MB，最多 10 张。",
        widget=MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,image/jpeg,image/png"}),
    )


class ReturnForm(forms.Form):
    school_class = forms.ModelChoiceField(label="编入班级", queryset=SchoolClass.objects.none())

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_class"].queryset = SchoolClass.objects.filter(school=school).order_by("grade", "number")


class AttemptForm(forms.Form):
    day = forms.DateField(label="日期", widget=DATE)
    method = forms.ChoiceField(label="劝返方式", choices=LedgerAttempt.Method.choices)
    result = forms.CharField(label="劝返结果", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class LedgerCloseForm(forms.Form):
    reason = forms.ChoiceField(label="销号原因")
    note = forms.CharField(label="销号依据", max_length=200, help_text="如就读学校、返校日期。")

    def __init__(self, *args, reasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [(r.value, r.label) for r in reasons]


class ReportMakeForm(forms.Form):
    month = forms.CharField(label="月份", max_length=7, help_text="如 2026-11",
                            widget=forms.TextInput(attrs={"type": "month"}))
