"""Forms of enrolment. The browser form is the template itself: one field per column of
enrollment.intake.columns, converted and checked by the same code as an uploaded row, so a registrar
typing six pupils gets the same errors as one uploading four hundred."""

from datetime import date

from django import forms

from enrollment.intake.columns import BOOL, CODE, COLUMNS, DECIMAL
from xueji.accounts.scoping import MAX_ID
from xueji.forms import DateInput
from xueji.pupils.national_form import AUXILIARY, FAMILY, GROUPS, ITEMS


def column_group(column) -> str:
    """The national form's group of a column: its item's; 户籍地址 (ours, no item) sits in 辅助信息
    next to 户口性质, the family members' columns under 家庭成员."""
    if column.guardian_position:
        return FAMILY
    return ITEMS[column.item - 1].group if column.item else AUXILIARY


def _field(column) -> forms.Field:
    label = column.header
    if column.kind == CODE:
        choices = [("", "——请选择——"), *[(code, f"{code} {text}" if code else text) for code, text in column.choices()]]
        return forms.ChoiceField(label=label, required=False, choices=choices, help_text=column.note)
    if column.kind == BOOL:
        # Three ways, as in the template: blank is the column's "不填按…" rule (否 for most, 是 for
        # 是否监护人, from the distance for 是否需要乘坐校车), not a silent 否.
        choices = [("", "不填"), ("是", "是"), ("否", "否")]
        return forms.ChoiceField(label=label, required=False, choices=choices, help_text=column.note)
    if column.kind == DECIMAL:
        # A text box, not type=number: "2.5公里" is read as in a file, and the phone keypad has the dot.
        widget = forms.TextInput(attrs={"inputmode": "decimal"})
        return forms.CharField(label=label, required=False, max_length=20, widget=widget, help_text=column.note)
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
            field.group = column_group(column)
            self.fields[column.key] = field

    def groups(self) -> list[tuple[str, list]]:
        """The pupil's fields by the national form's groups, in its order (基本信息 … 交通方式)."""
        return [(group, [self[key] for key, field in self.fields.items() if field.group == group and not field.guardian])
                for group in GROUPS]

    def members(self) -> dict[int, list]:
        """The family members' fields, 成员1 and 成员2."""
        return {position: [self[key] for key, field in self.fields.items() if field.guardian == position]
                for position in sorted({field.guardian for field in self.fields.values() if field.guardian})}

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
            value = "是" if value else "否"
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
