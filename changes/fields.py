"""Which fields of a pupil's record change how, and their values as the forms, the request's
payload (JSON) and the pages show them.

- Identity fields (关键信息) change only on the guardian's written request with the household
  register as proof: the school verifies, the bureau approves (农安县办法 第十五条; 002 附件1 三:
  姓名和身份证号是两项关键信息). Gender and birth date are in the number and the register too.
- The other fields a school corrects itself; every correction is in the field history and the
  audit log.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms

from xueji.codes import nationality_choices
from xueji.forms import DateInput
from xueji.pupils.models import Pupil
from xueji.pupils.national_form import FAMILY_ITEMS, ITEMS
from xueji.pupils.services import GUARDIAN_DATA_FIELDS, PUPIL_DATA_FIELDS

IDENTITY_FIELDS = (
    "name", "former_name", "gender", "birth_date", "id_type", "id_number", "ethnicity", "nationality",
    "overseas_status",
)
# The order of the correction form: the national form's (xueji.pupils.national_form), with the
# household address (户籍地址, ours) after the household registration's type.
CORRECTABLE_FIELDS = tuple(
    name
    for item in ITEMS
    if item.key in PUPIL_DATA_FIELDS and item.key not in IDENTITY_FIELDS
    for name in ((item.key, "hukou_address") if item.key == "hukou_type" else (item.key,))
)
assert set(IDENTITY_FIELDS) | set(CORRECTABLE_FIELDS) == PUPIL_DATA_FIELDS
DIVISION_FIELDS = {"birthplace_id", "native_place_id", "hukou_division_id"}
GUARDIAN_POSITIONS = (1, 2)
GUARDIAN_FIELD_ORDER = tuple(item.key for item in FAMILY_ITEMS)
assert set(GUARDIAN_FIELD_ORDER) == GUARDIAN_DATA_FIELDS


def model_field(name: str):
    return Pupil._meta.get_field(name.removesuffix("_id"))


def label(name: str) -> str:
    return str(model_field(name).verbose_name)


def form_field(name: str, model=Pupil, required: bool = False) -> forms.Field:
    """A form field for a field of the record: choices as drop-downs, dates with the picker,
    divisions as their 6-digit code."""
    field = model._meta.get_field(name.removesuffix("_id"))
    text = str(field.verbose_name)
    if name in DIVISION_FIELDS or name == "hukou_division_id":
        return forms.CharField(label=f"{text}（行政区划代码）", required=required, max_length=12,
                               help_text="6 位行政区划代码，如 220122（农安县）。")
    if name == "nationality":
        return forms.ChoiceField(label=text, required=required, choices=nationality_choices())
    if field.choices:
        return forms.ChoiceField(label=text, required=required, choices=[("", "——"), *field.choices])
    if field.get_internal_type() == "DateField":
        return forms.DateField(label=text, required=required, widget=DateInput())
    if field.get_internal_type() == "BooleanField" and field.null:
        # An item older records never asked (是否受过学前教育 …): 是, 否, or not yet known.
        widget = forms.NullBooleanSelect()
        widget.choices = [("unknown", "（未填）"), ("true", "是"), ("false", "否")]
        return forms.NullBooleanField(label=text, required=False, widget=widget)
    if field.get_internal_type() == "BooleanField":
        return forms.BooleanField(label=text, required=False)
    if field.get_internal_type() == "DecimalField":
        return forms.DecimalField(label=text, required=required, min_value=0, max_digits=field.max_digits,
                                  decimal_places=field.decimal_places)
    return forms.CharField(label=text, required=required, max_length=field.max_length)


def current_values(pupil: Pupil, names) -> dict[str, Any]:
    return {name: getattr(pupil, name) for name in names}


def differences(pupil_values: dict[str, Any], typed: dict[str, Any]) -> dict[str, Any]:
    """What was typed that differs from the record (blank and None are the same)."""
    return {name: value for name, value in typed.items() if _same(value) != _same(pupil_values.get(name))}


def _same(value):
    return "" if value is None else value


def to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value.isoformat() if isinstance(value, date) else value


def from_json(name: str, value: Any) -> Any:
    if value and model_field(name).get_internal_type() == "DateField":
        return date.fromisoformat(value)
    if value not in (None, "") and model_field(name).get_internal_type() == "DecimalField":
        return Decimal(value)
    return value


def display(name: str, value: Any) -> str:
    """A value as a person reads it: the code's label, 是/否, a division's name with its code."""
    if value in (None, ""):
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if name in DIVISION_FIELDS:
        from xueji.accounts.models import Division

        division = Division.objects.filter(pk=value).first()
        return f"{value} {division.full_name}" if division else str(value)
    if name == "nationality":
        return dict(nationality_choices()).get(value, value)
    field = model_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(to_json(value))
