"""Forms of information changes: the identity fields with the guardian's request and the proof,
and the school's correction of the other fields and the guardians. Both start from the record's
current values; only what differs is sent on."""

from django import forms

from changes.fields import CORRECTABLE_FIELDS, GUARDIAN_FIELD_ORDER, GUARDIAN_POSITIONS, IDENTITY_FIELDS, form_field
from xueji.forms import AttachmentsField
from xueji.pupils.models import Guardian, Pupil
from xueji.pupils.national_form import AUXILIARY, ITEMS_BY_KEY

PROOF_HELP = "PDF、JPG 或 PNG；PDF 不超过 5 MB，图片不超过 2 MB；可多选。"


def _initial(pupil: Pupil, names) -> dict:
    return {name: getattr(pupil, name) for name in names}


class InfoChangeForm(forms.Form):
    """The identity fields, filled with the record's; the registrar changes what the guardian asks."""

    reason = forms.CharField(label="变更原因", max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "请填写变更原因。"})
    guardian_files = AttachmentsField(label="监护人书面申请", help_text=PROOF_HELP,
                                      error_messages={"required": "请上传监护人的书面申请。"})
    proof_files = AttachmentsField(label="户口簿（或其他身份证件）的相关页", help_text=PROOF_HELP,
                                   error_messages={"required": "请上传户口簿（或其他身份证件）的相关页。"})

    def __init__(self, *args, pupil: Pupil, initial: dict | None = None, **kwargs):
        # The record's values, and over them what a rejected request asked for (to be corrected).
        super().__init__(*args, initial={**_initial(pupil, IDENTITY_FIELDS), **(initial or {})}, **kwargs)
        for name in reversed(IDENTITY_FIELDS):
            self.fields = {name: form_field(name, required=name in ("name", "gender", "birth_date", "id_type")), **self.fields}

    def typed(self) -> dict:
        return {name: self.cleaned_data[name] for name in IDENTITY_FIELDS}


class CorrectionForm(forms.Form):
    """The fields a school corrects itself, and up to two family members (成员1, 成员2; a second left
    blank is none)."""

    note = forms.CharField(label="更正说明（依据什么更正）", max_length=200, error_messages={"required": "请填写更正说明。"})

    def __init__(self, *args, pupil: Pupil, **kwargs):
        initial = _initial(pupil, CORRECTABLE_FIELDS)
        for guardian in pupil.guardians.order_by("position"):
            initial.update({f"guardian{guardian.position}_{f}": getattr(guardian, f) for f in GUARDIAN_FIELD_ORDER})
        super().__init__(*args, initial=initial, **kwargs)
        fields = {name: form_field(name) for name in CORRECTABLE_FIELDS}
        for position in GUARDIAN_POSITIONS:
            for name in GUARDIAN_FIELD_ORDER:
                field = form_field(name, model=Guardian)
                field.label = f"成员{position}{field.label}"  # the national form's family block
                fields[f"guardian{position}_{name}"] = field
        self.fields = {**fields, **self.fields}

    def pupil_fields(self):
        return [self[name] for name in CORRECTABLE_FIELDS]

    def pupil_field_groups(self):
        """The fields under the national form's group headings (户籍地址, ours, with 辅助信息)."""
        groups: dict[str, list] = {}
        for name in CORRECTABLE_FIELDS:
            item = ITEMS_BY_KEY.get(name)
            groups.setdefault(item.group if item else AUXILIARY, []).append(self[name])
        return list(groups.items())

    def guardian_fields(self):
        return [(position, [self[f"guardian{position}_{name}"] for name in GUARDIAN_FIELD_ORDER])
                for position in GUARDIAN_POSITIONS]

    def typed(self) -> dict:
        return {name: self.cleaned_data[name] for name in CORRECTABLE_FIELDS}

    def guardians(self) -> list[dict]:
        """The guardians as typed; a position left wholly blank is no guardian."""
        rows = []
        for position in GUARDIAN_POSITIONS:
            row = {name: self.cleaned_data[f"guardian{position}_{name}"] for name in GUARDIAN_FIELD_ORDER}
            if any(row.values()):
                rows.append(row)
        return rows
