"""Forms of schoolyear/'s pages. They check the shape of what is typed; the rules are the
services'."""

from django import forms

from xueji.codes import GRADE_LABELS


class GraduationConfirmForm(forms.Form):
    # The number of pupils the registrar saw on the confirm page: if the list changed since,
    # the service refuses rather than graduate someone who was not on it.
    expected = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    checked = forms.BooleanField(label="我已核对毕业名单和未办理毕业的学生名单", required=True)


class NextClassForm(forms.Form):
    grade = forms.TypedChoiceField(label="年级", coerce=int)

    def __init__(self, *args, grades: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [(g, GRADE_LABELS[g]) for g in grades]


class CertificateAssignForm(forms.Form):
    prefix = forms.CharField(label="编号前缀", max_length=20, required=False,
                             help_text="如地区代码和年份：22012227。只能用字母、数字和“-”。")
    first_sequence = forms.IntegerField(label="起始流水号", min_value=0)
    width = forms.IntegerField(label="流水号位数", min_value=1, max_value=12, initial=5)


class EducationProofForm(forms.Form):
    note = forms.CharField(label="情况说明（可不填）", max_length=300, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="例如：证书于 2028 年搬家时遗失，本人申请出具学历证明书。")
