"""De-identification of an export's personal values (ID numbers, phones, addresses), with the
masks every page uses (xueji/identity.py, xueji/pupils/visibility.py)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from xueji.identity import mask_id_number, mask_student_number
from xueji.pupils.visibility import GUARDIAN_FIELDS, HIDDEN, Show, Visibility, _group_of, mask_phone

# An address keeps its first characters (province, city, county: where, not which door).
ADDRESS_KEPT = 6


def mask_address(address: str) -> str:
    address = address or ""
    if len(address) <= ADDRESS_KEPT:
        return address[:2] + "*" * max(len(address) - 2, 0)
    return address[:ADDRESS_KEPT] + "****"


def mask(personal: str, value: str) -> str:
    if not value:
        return ""
    if personal == "id":
        return mask_id_number(value)
    if personal == "number":  # a 学籍号: a G number holds the ID number
        return mask_student_number(value)
    if personal == "phone":
        return mask_phone(value)
    if personal == "address":
        return mask_address(value)
    return value


# The record's values an export masks, by the export field that covers them: (pupil's or
# guardian's field, kind of mask). A printed export (a school's 学籍卡) sees the record through
# ExportVisibility rather than cell by cell.
PUPIL_PERSONAL = {"id_number": "id", "student_number": "number", "address": "address", "hukou_address": "address"}
GUARDIAN_PERSONAL = {"id_number": "id", "phone": "phone"}


@dataclass(frozen=True)
class ExportVisibility(Visibility):
    """How an export shows a record: what its requester sees (``shows``, xueji.pupils.visibility),
    then the ID numbers, 学籍号, phones and addresses masked unless full values were granted, and
    those whose export field was not asked for not shown at all ("***" on paper). Only exports
    build it: every page and print keeps the plain Visibility of its user."""

    full_values: bool = False
    # The export fields asked for, by what they cover: "id" (pupil's and guardians' ID numbers),
    # "number" (学籍号), "phone" (guardians' phones), "address" (address and household address).
    asked: frozenset[str] = frozenset()

    def _value(self, key: str, value: Any, fields: Mapping[str, str]) -> Any:
        shown = super()._value(key, value, fields)
        personal = (GUARDIAN_PERSONAL if fields is GUARDIAN_FIELDS else PUPIL_PERSONAL).get(key)
        if personal is None or shown is HIDDEN:
            return shown
        if personal not in self.asked:
            return HIDDEN
        group = _group_of(key, fields)
        if self.full_values or not shown or group is None or self.shows[group] != Show.FULL:
            return shown  # in full as granted, or already masked for the requester
        return mask(personal, str(value))


def export_visibility(visibility: Visibility, *, full_values: bool, asked: set[str]) -> ExportVisibility:
    return ExportVisibility(shows=visibility.shows, full_values=full_values, asked=frozenset(asked))
