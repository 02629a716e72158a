from django import forms

from special_education.kinds import PROOF
from special_education.services import REASON_CHARS, lower_grade, target_classes
from xueji.codes import GRADE_LABELS
from xueji.forms import AttachmentsField
from xueji.pupils.models import Pupil, SchoolClass

PROOF_HELP = "PDF、JPG 或 PNG；PDF 不超过 5 MB，图片不超过 2 MB；可多选。"


class GradeDownForm(forms.Form):
    target_class = forms.TypedChoiceField(label="降级编入班级", coerce=int, error_messages={"required": "请选择班级。"})
    reason = forms.CharField(label="申请理由（学生的身心状况、学习情况）", max_length=REASON_CHARS,
                             widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": "请填写申请降级的理由。"})
    guardian_files = AttachmentsField(label="父母或其他监护人的书面申请", help_text=PROOF_HELP,
                                      error_messages={"required": "请上传监护人的书面申请。"})
    proof_files = AttachmentsField(label=f"证明材料（{PROOF}）", help_text=PROOF_HELP,
                                   error_messages={"required": "请上传证明材料。"})

    def __init__(self, *args, pupil: Pupil, **kwargs):
        super().__init__(*args, **kwargs)
        self.pupil = pupil
        grade = lower_grade(pupil)
        field = self.fields["target_class"]
        if grade is not None:
            field.label = f"降级编入班级（{GRADE_LABELS[grade]}，只列出有空位的班级）"
        field.choices = [("", "请选择班级"), *[(c.pk, c.name) for c in target_classes(pupil)]]

    def clean_target_class(self):
        school_class = SchoolClass.objects.filter(pk=self.cleaned_data["target_class"], school_id=self.pupil.school_id).first()
        if school_class is None:
            raise forms.ValidationError("请选择本校的班级。")
        return school_class
