"""Finding a pupil of another school by the 学籍号 (or ID number) and name a user types: the
receiving school starting a transfer in (transfers/), the host school registering a visit (借读,
enrollment/intake/visiting.py). Such a pupil is outside the user's scope (xueji.pupils.scoping),
so the user learns only what the errand needs:

- when it goes through, what the request or the visit shows (the pupil's school, the grade the
  class was chosen for);
- when it is refused for something about the pupil (a sanction, a status, the grade, an open
  request, a visit elsewhere, a local limit against the pupil's school), exactly what a number and
  name that match no one get: ``pupil_not_found()``, the same message and code, so the two cannot
  be told apart. A user who does see the pupil (the pupil's own school, a bureau above it) is
  told the reason itself.

Both are audited ("pupil.lookup", denied): for the user's unit, the same entry for a miss and for
a refusal (the errand and the number masked, never the pupil or the reason, which the user's
bureau may not see either); for a refusal also for the pupil's school, with the pupil and the
reason, which that school and its bureaus see anyway.

A service's transaction rolls back with its refusal, and the audit entries with it: call the
atomic part of the service inside ``refusals_as_not_found``, and look the pupil up with
``find_pupil_for`` outside it.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError

from xueji.accounts.audit import audit_record
from xueji.accounts.models import AuditEntry, Membership, Unit, User
from xueji.accounts.scoping import memberships_of
from xueji.identity import mask_id_number, mask_student_number, normalize_id_number
from xueji.pupils.models import Pupil
from xueji.pupils.scoping import pupils_visible_to
from xueji.pupils.selectors import find_pupil, pupil_not_found, search_kind

LOOKUP_ACTION = "pupil.lookup"


def _masked(number: str) -> str:
    number = normalize_id_number(number)
    return mask_student_number(number) if number.startswith("G") else mask_id_number(number)


def _membership(user: User, unit: Unit) -> Membership | None:
    return next((m for m in memberships_of(user) if m.unit_id == unit.pk), None)


def _audit_not_found(user: User, unit: Unit, errand: str, number: str) -> None:
    """The user's side: the same entry for a miss and for a refusal."""
    audit_record(action=LOOKUP_ACTION, result=AuditEntry.Result.DENIED, user=user, unit=unit,
                 membership=_membership(user, unit),
                 detail=f"{errand}：按学籍号（或身份证件号）{_masked(number)}和姓名查找学生，答复“未找到”")


def _codes(error: ValidationError) -> set[str | None]:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def sees_pupil(user: User, pupil: Pupil) -> bool:
    return pupils_visible_to(user).filter(pk=pupil.pk).exists()


def find_pupil_for(user: User, *, number: str, name: str, errand: str, unit: Unit) -> Pupil:
    """``find_pupil``, with a miss audited. ``errand`` names what the user is doing ("发起转学")
    for ``unit`` (the user's school)."""
    try:
        return find_pupil(number=number, name=name)
    except ValidationError as error:
        if "pupil_not_found" in _codes(error):
            _audit_not_found(user, unit, errand, number)
        raise


@contextmanager
def refusals_as_not_found(user: User, pupil: Pupil, *, number: str, errand: str, unit: Unit,
                          own_codes: frozenset[str] = frozenset()) -> Iterator[None]:
    """Run the checks and the writes about ``pupil`` (found with ``number``) for ``user`` acting
    for ``unit``: a ValidationError raised inside reaches a user who does not see the pupil as
    ``pupil_not_found()``, audited for both sides. Refusals whose codes are all in ``own_codes``
    are about the user's side (the chosen class is full) and pass unchanged."""
    try:
        yield
    except ValidationError as error:
        codes = _codes(error)
        if (codes and codes <= own_codes) or sees_pupil(user, pupil):
            raise
        _audit_not_found(user, unit, errand, number)
        audit_record(
            action=LOOKUP_ACTION, obj=pupil, unit=pupil.school, result=AuditEntry.Result.DENIED, user=user,
            membership=_membership(user, unit),
            detail=f"{unit.name}{errand}，找到该生但不予办理：{'；'.join(error.messages)}（已按“未找到”答复对方）"[:500],
        )
        raise pupil_not_found() from None


def audit_number_search(query: str, *, found: int, capped: bool = False, via: str = "") -> None:
    """A search of the pupil list (the page or the API) by ID number or 学籍号 (a G number is the
    ID number): recorded with how many pupils it found, the number masked."""
    kind = search_kind(query) if query and query.strip() else ""
    if kind not in ("id_number", "student_number"):
        return
    what = "身份证件号" if kind == "id_number" else "学籍号"
    count = f"超过 {found - 1} 名" if capped else f"{found} 名"
    audit_record(action="pupil.search", detail=f"{via}按{what}（{_masked(query)}）搜索学生，找到 {count}")
