"""De-identification of an export's personal values (ID numbers, phones, e-mail, addresses and
postcodes, an ID card's validity), with the masks every page uses (xueji/identity.py,
xueji/pupils/visibility.py)."""

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


def mask_email(email: str) -> str:
    """"zhangsan@example.com" → "z***@example.com": the provider, not whose box."""
    local, at, domain = (email or "").partition("@")
    if not at:
        return "*" * min(len(email or ""), 8)
    return f"{local[:1]}***@{domain}"


def mask_postcode(postcode: str) -> str:
    """"130200" → "13****": the province's two digits, not the delivery area."""
    postcode = postcode or ""
    return postcode[:2] + "*" * max(len(postcode) - 2, 0)


def mask_validity(validity: str) -> str:
    """"20200601-20300601" → "2020****-2030****": the years, not the issue date (a 居民身份证's
    issue date with the name picks out its holder)."""
    return "-".join(part[:4] + "*" * max(len(part) - 4, 0) if part.isdigit() else part
                    for part in (validity or "").split("-"))


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
    if personal == "email":
        return mask_email(value)
    if personal == "postcode":
        return mask_postcode(value)
    if personal == "validity":
        return mask_validity(value)
    return value


# The record's values an export masks, by the export field that covers them: (pupil's or
# guardian's field, kind of mask). A printed export (a school's 学籍卡) sees the record through
# ExportVisibility rather than cell by cell.
PUPIL_PERSONAL = {
    "id_number": "id", "student_number": "number", "address": "address", "hukou_address": "address",
    "mailing_address": "address", "home_address": "address", "postcode": "postcode",
    "phone": "phone", "email": "email", "id_validity": "validity",
}
GUARDIAN_PERSONAL = {"id_number": "id", "phone": "phone", "address": "address"}
# The kinds of mask that no export field asks for by itself: they come with the field that
# covers them (an e-mail with the phones, a postcode with the addresses, an ID card's validity
# with the ID numbers), as the masking policy groups them.
ASKED_WITH = {"email": "phone", "postcode": "address", "validity": "id"}


@dataclass(frozen=True)
class ExportVisibility(Visibility):
    """How an export shows a record: what its requester sees (``shows``, xueji.pupils.visibility),
    then the ID numbers, 学籍号, phones and addresses masked unless full values were granted, and
    those whose export field was not asked for not shown at all ("***" on paper). Only exports
    build it: every page and print keeps the plain Visibility of its user."""

    full_values: bool = False
    # The export fields asked for, by what they cover: "id" (pupil's and guardians' ID numbers),
    # "number" (学籍号), "phone" (phones and e-mail), "address" (the addresses and the postcode).
    asked: frozenset[str] = frozenset()

    def _value(self, key: str, value: Any, fields: Mapping[str, str]) -> Any:
        shown = super()._value(key, value, fields)
        personal = (GUARDIAN_PERSONAL if fields is GUARDIAN_FIELDS else PUPIL_PERSONAL).get(key)
        if personal is None or shown is HIDDEN:
            return shown
        if ASKED_WITH.get(personal, personal) not in self.asked:
            return HIDDEN
        group = _group_of(key, fields)
        if self.full_values or not shown or group is None or self.shows[group] != Show.FULL:
            return shown  # in full as granted, or already masked for the requester
        return mask(personal, str(value))


def export_visibility(visibility: Visibility, *, full_values: bool, asked: set[str]) -> ExportVisibility:
    return ExportVisibility(shows=visibility.shows, full_values=full_values, asked=frozenset(asked))
