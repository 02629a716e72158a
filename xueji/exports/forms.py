"""The form of an export request: which export, which scope, which fields, why."""

from django import forms

from xueji.exports.registry import PURPOSES, ExportKind


class ExportRequestForm(forms.Form):
    scope = forms.ChoiceField(label="范围", required=False)
    fields = forms.MultipleChoiceField(label="导出字段", widget=forms.CheckboxSelectMultiple,
                                       error_messages={"required": "请至少选择一个字段。"})
    purpose = forms.ChoiceField(label="用途", choices=[("", "请选择"), *PURPOSES],
                                error_messages={"required": "请选择用途。"})
    purpose_text = forms.CharField(label="用途说明（用于什么工作、交给谁）", max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                                   error_messages={"required": "请说明用途。"})
    full_values = forms.BooleanField(label="申请完整的身份证件号、电话、地址（默认脱敏）", required=False)
    reason_for_full_values = forms.CharField(label="申请完整个人信息的理由", max_length=500, required=False,
                                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, kind: ExportKind, scopes: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = scopes
        self.fields["fields"].choices = [(f.key, f.label + ("（默认脱敏）" if f.personal else "")) for f in kind.fields()]
        if not self.is_bound:
            self.initial.setdefault("fields", [f.key for f in kind.fields()])

    def clean(self):
        data = super().clean()
        if data.get("full_values") and not (data.get("reason_for_full_values") or "").strip():
            self.add_error("reason_for_full_values", "申请完整的身份证件号、电话、地址时，请说明理由。")
        return data


class DownloadForm(forms.Form):
    otp = forms.CharField(label="动态验证码（身份验证器上的 6 位数字）", max_length=16,
                          widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
                          error_messages={"required": "请输入动态验证码。"})
