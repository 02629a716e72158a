"""The enrolment batch as a kind of request: the school's new pupils of an intake, signed by the
headmaster and approved (or returned, with a reason per pupil) by the county bureau. On approval
every pupil's record is established: status 在籍在校, an L number (G or J once the bureau
confirms identity); a primary graduate entering grade 7 keeps the record and number it has.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.urls import reverse

from enrollment.intake.models import EnrolmentEntry, EntryStatus
from xueji.accounts.models import BUREAU_ROLES, Unit, User
from xueji.approvals.chains import StepSpec, school_then_bureau
from xueji.approvals.kinds import RequestKind
from xueji.approvals.models import ApprovalStep, ChangeRequest
from xueji.approvals.services import notify
from xueji.codes import GRADE_LABELS, NumberKind, PupilStatus
from xueji.pupils.services import NewPupil, RowErrors, pupil_move, pupils_create_many

DATE_FIELDS = ("birth_date", "entry_date")


def _school(request: ChangeRequest) -> Unit:
    return Unit.objects.select_related("parent").get(pk=request.payload["school"])


def _entries(request: ChangeRequest):
    return EnrolmentEntry.objects.filter(pk__in=request.payload.get("entries", [])).order_by("school_class__number", "pk")


def _returns(request: ChangeRequest, details: dict) -> dict[str, str]:
    """The pupils a return names, each with its reason (only the batch's own entries)."""
    wanted = {str(pk) for pk in request.payload.get("entries", [])}
    return {str(k): (v or "").strip()[:300] for k, v in (details.get("returns") or {}).items()
            if str(k) in wanted and (v or "").strip()}


def entry_as_new_pupil(entry: EnrolmentEntry) -> NewPupil:
    data = {k: (date.fromisoformat(v) if k in DATE_FIELDS and v else v) for k, v in entry.data.items()}
    arrived = entry.admission.arrived_on if entry.admission_id and entry.admission.arrived_on else None
    entry_date = data.pop("entry_date", None) or arrived or date(entry.intake_year, 9, 1)
    return NewPupil(
        data=data, guardians=entry.guardians, grade=entry.grade, entry_date=entry_date,
        school_class=entry.school_class, number_kind=NumberKind.TEMPORARY,
    )


class EnrolmentKind(RequestKind):
    code = "enrolment"
    label = "新生建籍"
    # The decision form lists the batch's pupils, each with a field for its reason to return it.
    decision_template = "enrollment/_batch_decision.html"

    def chain(self, request: ChangeRequest) -> list[StepSpec]:
        return school_then_bureau(_school(request), school_label="新生学籍")

    def check_decision(self, request, step: ApprovalStep, actor: User, approve: bool, details: dict):
        """A return names the pupils to correct, each with its reason (the comment is the
        whole batch's); at the bureau's step it must name at least one."""
        if not approve and step.role in BUREAU_ROLES and not _returns(request, details):
            return {"returns": ValidationError("退回时请至少为一名学生填写退回原因。", code="returns_required")}
        return None

    def decision_record(self, request, step: ApprovalStep, actor: User, approve: bool, details: dict) -> dict:
        return {} if approve else {"returns": _returns(request, details)}

    def decision_context(self, request: ChangeRequest, step: ApprovalStep | None, posted: dict) -> dict:
        entries = list(_entries(request).select_related("school_class", "pupil"))
        for entry in entries:
            entry.posted_reason = posted.get(f"return_{entry.pk}", "")
        return {"batch_entries": entries}

    def decision_details(self, posted: dict[str, str]) -> dict:
        """The decision form's return_<entry> fields, as the returns check_decision reads."""
        returns = {key.removeprefix("return_"): value for key, value in posted.items() if key.startswith("return_")}
        return {**posted, "returns": returns}

    def decision_message(self, request: ChangeRequest, approve: bool) -> str:
        if not approve:
            return "已退回学校修改。"
        return "已同意，学籍已建立。" if request.status == "approved" else "已同意。"

    def apply(self, request: ChangeRequest, actor: User) -> None:
        school = _school(request)
        entries = list(_entries(request).select_related("admission", "school_class", "continues").select_for_update(of=("self",)))
        new = [e for e in entries if e.continues_id is None]
        try:
            pupils = pupils_create_many(
                actor=actor, school=school, rows=[entry_as_new_pupil(e) for e in new],
                status=PupilStatus.ENROLLED, change_request_id=request.pk,
            )
        except RowErrors as error:
            lines = [f"{new[index].name}：{'；'.join(problem.messages)}" for index, problem in list(error.rows.items())[:10]]
            raise ValidationError("以下学生的学籍无法建立，请退回学校改正：" + "；".join(lines)) from None
        for entry, pupil in zip(new, pupils):
            entry.pupil = pupil
        for entry in entries:
            if entry.continues_id is not None:
                # Junior-middle intake: the primary record goes on, same 学籍号, into grade 7.
                entry.pupil = pupil_move(
                    actor=actor, pupil=entry.continues, school=school, school_class=entry.school_class,
                    effective_date=entry_as_new_pupil(entry).entry_date, status=PupilStatus.ENROLLED,
                    reason=f"升入{school.name}{GRADE_LABELS[entry.grade]}", change_request_id=request.pk,
                )
            entry.status = EntryStatus.ESTABLISHED
        EnrolmentEntry.objects.bulk_update(entries, ["pupil", "status"])

    def closed_without_effect(self, request: ChangeRequest) -> None:
        """Returned: each pupil named gets its reason; all go back to the school to correct and
        submit again. Withdrawn: back to the school as they were."""
        returns = request.payload.get("returns", {})
        entries = list(_entries(request).filter(status=EntryStatus.SUBMITTED))
        for entry in entries:
            entry.status = EntryStatus.RETURNED if request.status == "rejected" else EntryStatus.DRAFT
            entry.return_reason = returns.get(str(entry.pk), "")
        EnrolmentEntry.objects.bulk_update(entries, ["status", "return_reason"])

    def follow_up(self, request: ChangeRequest) -> None:
        school = _school(request)
        notify(request, key=f"enrolled:{request.pk}", unit=school,
               message=f"{request.subject}的学籍已建立，学生已获得学籍号，可在班级名单中查看。")

    def summary(self, request: ChangeRequest) -> str:
        return request.payload.get("subject", "")

    def details(self, request: ChangeRequest) -> list[tuple[str, str]]:
        payload = request.payload
        rows = [("学校", _school(request).name), ("入学年份", str(payload.get("intake_year", ""))),
                ("年级", GRADE_LABELS.get(payload.get("grade"), "")), ("人数", str(len(payload.get("entries", []))))]
        if payload.get("returns"):
            rows.append(("退回学生", f"{len(payload['returns'])} 人"))
        return rows

    def links_for(self, request: ChangeRequest, user: User) -> list[tuple[str, str]]:
        return [("查看新生名单", reverse("enrollment:enrolment_batch", args=[request.pk]))]

    def resubmit_url(self, request: ChangeRequest) -> str | None:
        return reverse("enrollment:enrolment_home")
