"""A pupil's record as the national 学生基本信息表 shows it: the 48 items in the national groups
and order with their national wording, then the family block (成员1, 成员2), each value as a
person reads it (a code's label, "是"/"否", "未填" for a yes/no not yet known, "2.5 公里") and as
the user may see it (xueji.pupils.visibility).

The pupil's page and the printed 学生基本信息表 and 学籍卡 take their rows from here, so that the
three say the same thing in the same words; they differ only in what a value the user may not see
becomes: left out on a page (``printed=False``), "***" in a box of a printed form
(``printed=True``).

The pupil may be an established record, the record as it stood on a day, or an unsaved one
built from an enrolment entry: only its fields and the divisions and class already set on it are
read (its guardians are passed in), never a related manager.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from xueji.codes import nationality_label
from xueji.pupils.national_form import AUXILIARY, FAMILY_ITEMS, FAMILY_MEMBERS, GROUPS, ITEMS, FamilyItem, Item
from xueji.pupils.visibility import HIDDEN, Visibility

NOT_FILLED = "未填"  # a yes/no item the record does not know yet (None): not the same as 否
DIVISION_KEYS = {"birthplace_id": "birthplace", "native_place_id": "native_place", "hukou_division_id": "hukou_division"}


@dataclass(frozen=True)
class Extra:
    """A field the record keeps beside the national items (printed without a number)."""

    label: str
    key: str
    after: int  # the number of the item it follows

    @property
    def numbered_label(self) -> str:
        return self.label


# 户籍地址: the record's detailed address of the household registration, beside 17.户口所在地.
EXTRAS = [Extra("户籍地址", "hukou_address", after=17)]
assert all(ITEMS[extra.after - 1].group == AUXILIARY for extra in EXTRAS)


@dataclass(frozen=True)
class Row:
    """One item of the record: its item (Item, FamilyItem or Extra), the value as shown."""

    item: Item | FamilyItem | Extra
    value: str

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def label(self) -> str:
        return self.item.label

    @property
    def numbered_label(self) -> str:
        return getattr(self.item, "numbered_label", self.item.label)


@dataclass(frozen=True)
class Group:
    name: str
    rows: list[Row]
    hidden: int  # items left out (a page's answer to a value the user may not see)


@dataclass(frozen=True)
class Member:
    position: int  # 成员1, 成员2
    rows: list[Row]
    hidden: int

    @property
    def title(self) -> str:
        return f"成员{self.position}"


def yes_no(value: bool | None) -> str:
    return NOT_FILLED if value is None else "是" if value else "否"


def distance(value: Any) -> str:
    """2.5 → "2.5 公里"; also the text an entry keeps ("2.5")."""
    if value in (None, ""):
        return ""
    return f"{Decimal(str(value)).quantize(Decimal('0.1'))} 公里"


def division_name(division) -> str:
    if division is None:
        return ""
    return getattr(division, "full_name", "") or division.name


def _display(obj, key: str) -> str:
    """A field of a pupil or a guardian as a person reads it."""
    if key in DIVISION_KEYS:
        return division_name(getattr(obj, DIVISION_KEYS[key], None))
    if key == "photo":
        return "已上传" if obj.photo else "未上传"
    if key == "school_class":
        school_class = getattr(obj, "school_class", None) if getattr(obj, "school_class_id", None) else None
        return school_class.name if school_class is not None else ""
    if key == "nationality":
        return nationality_label(obj.nationality or "")
    if key == "distance_km":
        return distance(obj.distance_km)
    if key == "entry_date":
        # 入学年月
        return f"{obj.entry_date:%Y-%m}" if obj.entry_date else ""
    value = getattr(obj, key)
    if isinstance(value, bool) or (value is None and _is_boolean(obj, key)):
        return yes_no(value)
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    field = obj._meta.get_field(key)
    if field.choices:
        return getattr(obj, f"get_{key}_display")() if value not in (None, "") else ""
    return "" if value is None else str(value)


def _is_boolean(obj, key: str) -> bool:
    from django.db.models import BooleanField

    return isinstance(obj._meta.get_field(key), BooleanField)


def _shown(show) -> tuple[str, bool]:
    """(a value as visibility answered it, as text; whether it is shown at all)."""
    if show is HIDDEN:
        return "", False
    return ("" if show is None else str(show)), True


def pupil_groups(pupil, visibility: Visibility, *, printed: bool = False) -> list[Group]:
    """The 48 items (and the EXTRAS) of ``pupil`` in the national groups, as ``visibility`` says:
    a value the user may not see is left out (``printed``: "***"), a masked one masked."""
    items_of = {group: [] for group in GROUPS}
    for item in ITEMS:
        items_of[item.group].append(item)
        items_of[item.group].extend(extra for extra in EXTRAS if extra.after == item.number)
    groups = []
    for name in GROUPS:
        rows, hidden = [], 0
        for item in items_of[name]:
            display = _display(pupil, item.key)
            if printed:
                rows.append(Row(item, str(visibility.printed(item.key, display))))
                continue
            value, seen = _shown(visibility.pupil_value(item.key, display))
            if seen:
                rows.append(Row(item, value))
            else:
                hidden += 1
        groups.append(Group(name, rows, hidden))
    return groups


def family_members(guardians, visibility: Visibility, *, printed: bool = False,
                   members: int = FAMILY_MEMBERS) -> list[Member | None]:
    """The family block: a Member for each of ``guardians`` (in order; more than the form's two
    are kept), padded with None up to ``members`` (an empty row to fill in by hand)."""
    shown = []
    for position, guardian in enumerate(guardians, start=1):
        rows, hidden = [], 0
        for item in FAMILY_ITEMS:
            display = _display(guardian, item.key)
            if printed:
                rows.append(Row(item, str(visibility.printed(item.key, display, guardian=True))))
                continue
            value, seen = _shown(visibility.guardian_value(item.key, display))
            if seen:
                rows.append(Row(item, value))
            else:
                hidden += 1
        shown.append(Member(position, rows, hidden))
    return shown + [None] * (members - len(shown))
