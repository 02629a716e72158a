"""Forms of transfers/: what the registrar types, checked field by field (the rules themselves
are in transfers/services.py)."""

from django import forms
from django.utils import timezone

from transfers.kinds import GROUNDS
from xueji.accounts.models import Unit
from xueji.codes import nationality_choices
from xueji.forms import AttachmentsField, DateInput
from xueji.pupils.models import SchoolClass

PROOF_HELP = "PDF、JPG 或 PNG；PDF 不超过 5 MB，图片不超过 2 MB；可多选。"


def _class_choices(school: Unit, grade: int | None = None):
    classes = SchoolClass.objects.filter(school=school).order_by("grade", "number")
    if grade:
        classes = classes.filter(grade=grade)
    return [("", "请选择班级"), *[(c.pk, c.name) for c in classes]]


class ClassChoiceMixin:
    def _class(self, field: str, school: Unit) -> SchoolClass:
        value = self.cleaned_data.get(field)
        school_class = SchoolClass.objects.filter(pk=value, school=school).select_related("school").first() if value else None
        if school_class is None:
            raise forms.ValidationError("请选择本校的班级。")
        return school_class


class TransferLookupForm(forms.Form):
    """The first step of a transfer in: who is the pupil? (学籍号 or ID number, and the name)"""

    number = forms.CharField(label="学籍号或身份证件号", max_length=30, error_messages={"required": "请填写学籍号或身份证件号。"})
    name = forms.CharField(label="学生姓名（核对用）", max_length=50, error_messages={"required": "请填写学生姓名。"})


class TransferStartForm(forms.Form):
    """The second step, once the pupil is found: the grounds, a class of the pupil's grade with
    room (``classes``, from transfers.services.transfer_lookup) and the proof. The proof is kept
    with the form's draft as it is chosen (xueji/files/pending.py) and never reaches the form:
    the field is required while the draft has none (``has_files``)."""

    grounds = forms.ChoiceField(label="转学理由", choices=[("", "请选择"), *GROUNDS.items()], error_messages={"required": "请选择转学理由。"})
    grounds_note = forms.CharField(label="情况说明", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    target_class = forms.TypedChoiceField(label="转入班级", coerce=int, error_messages={
        "required": "请选择转入班级。", "invalid_choice": "请选择本校同年级、还有空位的班级。"})
    files = AttachmentsField(label="证明材料", help_text=PROOF_HELP, error_messages={"required": "请上传证明材料。"})

    def __init__(self, *args, classes: list[SchoolClass], grade_label: str, has_files: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # The files come with the draft (the view keeps them before the form is read), not here.
        self.fields["files"].required = not has_files
        self.classes = {school_class.pk: school_class for school_class in classes}
        field = self.fields["target_class"]
        field.label = f"转入班级（{grade_label}，仅列出还有空位的班级）"
        field.choices = [("", "请选择班级"), *[(pk, c.name) for pk, c in self.classes.items()]]

    def clean_target_class(self):
        return self.classes[self.cleaned_data["target_class"]]


class StudyAbroadForm(forms.Form):
    country = forms.ChoiceField(label="前往国家或地区")
    departure_date = forms.DateField(label="出境日期", widget=DateInput())
    note = forms.CharField(label="说明", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    files = AttachmentsField(label="证明材料（护照、签证等）", help_text=PROOF_HELP, error_messages={"required": "请上传证明材料。"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "请选择"), *[c for c in nationality_choices() if c[0] != "CHN"]]


class AbroadReturnForm(ClassChoiceMixin, forms.Form):
    return_date = forms.DateField(label="回国日期", widget=DateInput())
    target_class = forms.TypedChoiceField(label="编入班级", coerce=int)
    files = AttachmentsField(label="证明材料（护照出入境记录等）", help_text=PROOF_HELP, required=False)

    def __init__(self, *args, school: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.fields["target_class"].choices = _class_choices(school)

    def clean_return_date(self):
        value = self.cleaned_data["return_date"]
        if value > timezone.localdate():
            raise forms.ValidationError("回国日期不能晚于今天。")
        return value

    def clean_target_class(self):
        return self._class("target_class", self.school)


class TransferOutForm(forms.Form):
    destination = forms.CharField(label="转往（省份和学校）", max_length=200)
    reason = forms.CharField(label="原因", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    files = AttachmentsField(label="证明材料", help_text=PROOF_HELP, required=False)


class ArrivalForm(ClassChoiceMixin, forms.Form):
    school_class = forms.TypedChoiceField(label="编入班级", coerce=int)

    def __init__(self, *args, school: Unit, grade: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.fields["school_class"].choices = _class_choices(school, grade)

    def clean_school_class(self):
        return self._class("school_class", self.school)
