"""De-identification of an export's personal values (ID numbers, phones, addresses), with the
masks every page uses (xueji/identity.py, xueji/pupils/visibility.py)."""

from xueji.identity import mask_id_number, mask_student_number
from xueji.pupils.visibility import mask_phone

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
