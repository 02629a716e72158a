"""Forms of enrolment. The browser form is the template itself: one field per column of
enrollment.intake.columns, converted and checked by the same code as an uploaded row, so a registrar
typing six pupils gets the same errors as one uploading four hundred."""

from datetime import date

from django import forms

from enrollment.intake.columns import BOOL, CODE, COLUMNS
from xueji.accounts.scoping import MAX_ID
from xueji.forms import DateInput


def _field(column) -> forms.Field:
    label = column.header
    if column.kind == CODE:
        choices = [("", "——请选择——"), *[(code, f"{code} {text}" if code else text) for code, text in column.choices()]]
        return forms.ChoiceField(label=label, required=False, choices=choices, help_text=column.note)
    if column.kind == BOOL:
        return forms.ChoiceField(label=label, required=False, choices=[("", "否"), ("是", "是")], help_text=column.note)
    return forms.CharField(label=label, required=False, max_length=200, help_text=column.note)


class EntryForm(forms.Form):
    """Every column of the template. Required columns are marked, not enforced here: the rules
    report what is missing, in the same words as for a file."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for column in COLUMNS:
            field = _field(column)
            field.required_mark = column.required
            field.guardian = column.guardian_position
            self.fields[column.key] = field

    def raw_values(self) -> dict:
        return {key: (value or None) for key, value in self.cleaned_data.items()}


def entry_initial(entry) -> dict:
    """The form's values for an entry being corrected."""
    initial = {}
    for column in COLUMNS:
        position = column.guardian_position
        source = entry.guardians[position - 1] if position and position <= len(entry.guardians) else ({} if position else entry.data)
        value = source.get(column.field_name)
        if value is None:
            continue
        if isinstance(value, bool):
            value = "是" if value else ""
        elif isinstance(value, date):
            value = value.isoformat()
        initial[column.key] = value
    return initial


class UploadForm(forms.Form):
    file = forms.FileField(label="新生信息文件（.xlsx）", error_messages={"required": "请选择要上传的文件。"})

    MAX_BYTES = 20 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("文件超过 20 MB，请检查是否选错了文件。")
        return upload


class ClassesForm(forms.Form):
    count = forms.IntegerField(label="新建班级数", min_value=1, max_value=30,
                               error_messages={"required": "请填写班级数。", "min_value": "至少建 1 个班。",
                                               "max_value": "一次最多建 30 个班。", "invalid": "请填写数字。"})


class AssignForm(forms.Form):
    school_class = forms.IntegerField(min_value=1, max_value=MAX_ID, error_messages={"required": "请选择班级。", "invalid": "请选择班级。"})
    entries = forms.TypedMultipleChoiceField(coerce=int, error_messages={"required": "请先勾选学生。"})

    def __init__(self, *args, entry_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entries"].choices = [(pk, pk) for pk in entry_ids]


class LateForm(forms.Form):
    """What a late registration adds to the pupil's fields: the class, the reason."""

    school_class = forms.TypedChoiceField(label="编入班级", coerce=int, error_messages={"required": "请选择班级。"})
    grounds = forms.ChoiceField(label="补建原因", error_messages={"required": "请选择补建原因。"})
    note = forms.CharField(label="情况说明", max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": "请说明需要补建学籍的情况。"})

    def __init__(self, *args, classes=(), grounds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_class"].choices = [("", "——请选择——"), *[(c.pk, c.name) for c in classes]]
        self.fields["grounds"].choices = [("", "——请选择——"), *grounds]


class VisitForm(forms.Form):
    number = forms.CharField(label="学籍号或身份证件号", max_length=30, error_messages={"required": "请填写学籍号或身份证件号。"})
    name = forms.CharField(label="学生姓名", max_length=50, error_messages={"required": "请填写学生姓名。"})
    school_class = forms.TypedChoiceField(label="借读班级", coerce=int, error_messages={"required": "请选择班级。"})
    start_date = forms.DateField(label="借读开始日期", widget=DateInput(),
                                 error_messages={"required": "请填写开始日期。", "invalid": "日期格式应为 2026-09-01。"})
    planned_end = forms.DateField(label="预计结束日期", widget=DateInput(),
                                  error_messages={"required": "请填写预计结束日期。", "invalid": "日期格式应为 2027-07-10。"})
    reason = forms.CharField(label="借读原因", max_length=300, error_messages={"required": "请填写借读原因。"})

    def __init__(self, *args, classes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_class"].choices = [("", "——请选择——"), *[(c.pk, c.name) for c in classes]]
