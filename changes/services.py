"""Writes of information changes: the guardian's request to change identity fields (a request of
the engine, applied on approval), and the school's own correction of the other fields.

Both end in xueji's pupil_update, which checks the rules, deduplicates a new name or ID number
again, lets a G (or J) number follow a corrected ID number (the old number stays in the history)
and writes the field history with who and which request."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from changes.fields import CORRECTABLE_FIELDS, GUARDIAN_FIELD_ORDER, IDENTITY_FIELDS, differences, label, to_json
from xueji.accounts.models import Role, User
from xueji.accounts.permissions import holds, require, require_registrar
from xueji.approvals.attachments import attachments_store
from xueji.approvals.models import ChangeRequest
from xueji.approvals.services import check_no_open_request, request_start
from xueji.codes import GB11643_ID_TYPES, PupilStatus
from xueji.files.proof import CheckedFile
from xueji.pupils.dedupe import DuplicatePupilError, find_duplicates
from xueji.pupils.models import Pupil
from xueji.pupils.services import KEY_FIELDS, pupil_clean_changes, pupil_update

KIND = "info_change"
GUARDIAN_REQUEST_LABEL = "监护人书面申请"
REGISTER_PROOF_LABEL = "户口簿（或其他身份证件）的相关页"
# Records a school still keeps and may change: not those that left it or ended.
ON_ROLL = {
    PupilStatus.ENROLLED, PupilStatus.SUSPENDED, PupilStatus.DROPPED_OUT, PupilStatus.ABROAD, PupilStatus.DEFERRED,
    PupilStatus.VISITING,
}


# Who may: the school's registrar asks for an identity change; its registrar or headmaster corrects.
REQUESTERS = (Role.REGISTRAR,)
CORRECTORS = (Role.REGISTRAR, Role.HEADMASTER)


def may_request(user: User, pupil: Pupil) -> bool:
    return pupil.status in ON_ROLL and not pupil.deleted_at and holds(user, REQUESTERS, pupil.school_id)


def may_correct(user: User, pupil: Pupil) -> bool:
    return pupil.status in ON_ROLL and not pupil.deleted_at and holds(user, CORRECTORS, pupil.school_id)


def _check_on_roll(pupil: Pupil) -> None:
    if pupil.deleted_at:
        raise ValidationError("该学籍已删除。", code="deleted")
    if pupil.status not in ON_ROLL:
        raise ValidationError(f"该学生目前为“{PupilStatus(pupil.status).label}”状态，学校不能再修改其学籍信息。", code="status")


# The guardian's request ------------------------------------------------------------------------

def identity_changes(*, pupil: Pupil, typed: dict[str, Any]) -> dict[str, Any]:
    """The identity fields that change, as the rules will store them: a new 居民身份证 number
    brings its gender and birth date; a new name keeps the old one as 曾用名 unless one is given.
    Raises ValidationError (by field) when the result breaks a rule or matches another record."""
    unknown = set(typed) - set(IDENTITY_FIELDS)
    if unknown:
        raise ValidationError("这些信息由学校直接更正，不需要申请：" + "、".join(label(f) for f in sorted(unknown)))
    asked = differences({f: getattr(pupil, f) for f in IDENTITY_FIELDS}, typed)
    if "name" in asked and "former_name" not in asked and not pupil.former_name:
        asked["former_name"] = pupil.name
    if not asked:
        raise ValidationError("没有要变更的内容：填写的信息与学籍中的相同。", code="no_change")
    cleaned = pupil_clean_changes(pupil=pupil, changes=asked)
    changed = {f: cleaned[f] for f in IDENTITY_FIELDS if cleaned.get(f) != getattr(pupil, f)}
    if pupil.student_number.startswith("G") and not (changed.get("id_type", pupil.id_type) in GB11643_ID_TYPES
                                                     and cleaned.get("id_number")):
        raise ValidationError({"id_number": ValidationError(
            "该学生已有 G 字头正式学籍号，只能更正身份证件号，不能删除。", code="g_number_needs_id")})
    if any(f in changed for f in (*KEY_FIELDS, "gender", "birth_date")):
        duplicates = find_duplicates(
            id_type=cleaned["id_type"], id_number=cleaned.get("id_number", ""), name=cleaned["name"],
            gender=cleaned["gender"], birth_date=cleaned["birth_date"], exclude_pupil_id=pupil.pk,
        )
        if duplicates:
            raise DuplicatePupilError(duplicates)
    return changed


@transaction.atomic
def info_change_start(
    *,
    actor: User,
    pupil: Pupil,
    typed: dict[str, Any],
    reason: str,
    guardian_files: list[CheckedFile],
    proof_files: list[CheckedFile],
    resubmission_of: ChangeRequest | None = None,
) -> ChangeRequest:
    """学籍信息变更, asked by the registrar of the pupil's school on the guardian's written request,
    with the household register as proof. Checked now by the same rules and dedupe as on approval,
    so the bureau is not asked to approve what cannot be applied."""
    require_registrar(actor, pupil.school_id, message="只有本校学籍管理员可以发起信息变更申请。")
    _check_on_roll(pupil)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError("请填写变更原因。", code="reason_required")})
    changed = identity_changes(pupil=pupil, typed=typed)
    if not guardian_files:
        raise ValidationError({"guardian_files": ValidationError("请上传监护人的书面申请。", code="guardian_request_required")})
    if not proof_files:
        raise ValidationError({"proof_files": ValidationError(
            "请上传户口簿（或其他身份证件）的相关页作为证明。", code="proof_required")})
    check_no_open_request(pupil)
    payload = {
        "changes": {f: to_json(v) for f, v in changed.items()},
        "before": {f: to_json(getattr(pupil, f)) for f in changed},
        "reason": reason[:300],
    }
    change = request_start(kind=KIND, actor=actor, unit=pupil.school, pupil=pupil, payload=payload,
                           resubmission_of=resubmission_of)
    attachments_store(request=change, files=list(guardian_files), actor=actor, label=GUARDIAN_REQUEST_LABEL)
    attachments_store(request=change, files=list(proof_files), actor=actor, label=REGISTER_PROOF_LABEL)
    return change


# The school's own correction -------------------------------------------------------------------

@transaction.atomic
def pupil_correct(
    *,
    actor: User,
    pupil: Pupil,
    typed: dict[str, Any],
    guardians: list[dict[str, Any]] | None,
    note: str,
) -> list[str]:
    """The school corrects fields that are not identity fields (and the guardians), logged in the
    field history and the audit log with the note. Returns the labels of what changed."""
    require(actor, CORRECTORS, pupil.school_id, message="只有本校学籍管理员或校长可以更正学籍信息。", code="not_school")
    _check_on_roll(pupil)
    identity = set(typed) & set(IDENTITY_FIELDS)
    if identity:
        raise ValidationError("姓名、身份证件号等关键信息须由监护人申请、教育局审批后变更：" + "、".join(label(f) for f in identity),
                              code="identity_field")
    unknown = set(typed) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ValidationError("这些字段不能在此修改：" + "、".join(sorted(unknown)))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": ValidationError("请填写更正说明（依据什么更正）。", code="note_required")})
    changed = differences({f: getattr(pupil, f) for f in CORRECTABLE_FIELDS}, typed)
    guardians_changed = guardians is not None and _guardians_differ(pupil, guardians)
    if not changed and not guardians_changed:
        raise ValidationError("没有要更正的内容：填写的信息与学籍中的相同。", code="no_change")
    pupil_update(actor=actor, pupil=pupil, changes=changed, guardians=guardians if guardians_changed else None,
                 reason=f"学校更正：{note[:150]}")
    return [label(f) for f in changed] + (["监护人信息"] if guardians_changed else [])


def _guardians_differ(pupil: Pupil, guardians: list[dict[str, Any]]) -> bool:
    def rows(items, read):
        return [{f: read(g, f) or "" for f in GUARDIAN_FIELD_ORDER} for g in items]

    return rows(pupil.guardians.order_by("position"), getattr) != rows(guardians, dict.get)
