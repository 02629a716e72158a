"""Forms of suspensions/: what the registrar types, checked field by field (the rules themselves
are in suspensions/services.py)."""

from django import forms

from suspensions.kinds import GROUNDS, GROUNDS_PROOF
from suspensions.services import resumption_grades
from xueji.forms import AttachmentsField, DateInput
from xueji.pupils.models import Pupil, SchoolClass

PROOF_HELP = "PDF、JPG 或 PNG；PDF 不超过 5 MB，图片不超过 2 MB；可多选。"
DATE = DateInput()


class SuspensionForm(forms.Form):
    grounds = forms.ChoiceField(label="休学原因", choices=[("", "请选择"), *GROUNDS.items()],
                                error_messages={"required": "请选择休学原因。"})
    grounds_note = forms.CharField(label="情况说明", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    first_absence = forms.DateField(label="开始缺课日期（休学期自该日起一年）", required=False, widget=DATE)
    hospital = forms.CharField(label="出具诊断证明的医院（因伤病休学时填写）", required=False, max_length=100)
    hospital_county_level = forms.BooleanField(label="该医院为县级以上（含县级）医院", required=False)
    files = AttachmentsField(
        label="证明材料", help_text="；".join(f"{GROUNDS[k]}：{v}" for k, v in GROUNDS_PROOF.items()) + "。" + PROOF_HELP,
        error_messages={"required": "请上传证明材料。"},
    )

    def __init__(self, *args, renewal: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if renewal:
            del self.fields["first_absence"]  # a renewal continues the current period


class ResumptionForm(forms.Form):
    target_class = forms.TypedChoiceField(label="复学编入班级（原年级或下一年级）", coerce=int,
                                          error_messages={"required": "请选择班级。"})
    files = AttachmentsField(label="康复证明（县级以上医院）或其他证明材料", help_text=PROOF_HELP,
                             error_messages={"required": "请上传康复证明。"})

    def __init__(self, *args, pupil: Pupil, **kwargs):
        super().__init__(*args, **kwargs)
        self.pupil = pupil
        classes = SchoolClass.objects.filter(school_id=pupil.school_id, grade__in=resumption_grades(pupil)).order_by("-grade", "number")
        self.fields["target_class"].choices = [("", "请选择班级"), *[(c.pk, c.name) for c in classes]]

    def clean_target_class(self):
        school_class = SchoolClass.objects.filter(pk=self.cleaned_data["target_class"], school_id=self.pupil.school_id).first()
        if school_class is None:
            raise forms.ValidationError("请选择本校的班级。")
        return school_class


class DeferralForm(forms.Form):
    hospital = forms.CharField(label="出具医务证明书的医院", max_length=100, error_messages={"required": "请填写医院名称。"})
    hospital_county_level = forms.BooleanField(label="该医院为县级以上（含县级）医院", required=False)
    note = forms.CharField(label="情况说明", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    medical_files = AttachmentsField(label="医务证明书", help_text=PROOF_HELP, error_messages={"required": "请上传医务证明书。"})
    guardian_files = AttachmentsField(label="家长书面缓学申请", help_text=PROOF_HELP,
                                      error_messages={"required": "请上传家长书面缓学申请。"})
