"""The approval engine: starting, deciding, withdrawing and resubmitting change requests, and
the deadline sweep.

Every decision and withdrawal locks the request's row (SELECT … FOR UPDATE) and checks its state
under the lock, so two officers deciding at the same moment, or a decision racing a withdrawal,
produce exactly one outcome. The last approval applies the kind's effect in the same
transaction; the kind's follow-up work is queued when the transaction commits, and the deadline
sweep runs it again for any approved request it has not finished (the database is the truth,
not the broker).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from xueji.accounts.audit import audit_record
from xueji.accounts.models import Role, Unit, UnitKind, User
from xueji.accounts.permissions import holds
from xueji.accounts.selectors import bureau_settings_by_unit, bureau_settings_for
from xueji.approvals.attachments import attachments_store
from xueji.approvals.chains import DECIDING_ROLE, next_level_up
from xueji.approvals.kinds import get_kind, kind_choices
from xueji.approvals.models import ApprovalStep, ChangeRequest, Notice, RequestParty, RequestStatus, StepStatus
from xueji.approvals.signals import request_approved
from xueji.calendar import workdays
from xueji.celery import enqueue_on_commit
from xueji.files.proof import CheckedFile
from xueji.pupils.models import Pupil


def due_at_for(start: datetime, working_days: int) -> datetime:
    """The end (23:59:59, Asia/Shanghai) of the n-th working day after the day a step starts."""
    day = workdays.add_working_days(timezone.localtime(start).date(), working_days)
    return end_of_day(day)


def end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def working_days_left(step: ApprovalStep, today: date | None = None) -> int | None:
    """Working days from today to the step's due date: 0 on the due day, negative once overdue."""
    if step.due_at is None:
        return None
    today = today or timezone.localdate()
    return workdays.working_days_between(today, timezone.localtime(step.due_at).date())


# Starting -------------------------------------------------------------------------------------

OPEN_REQUEST = "该学生已有正在办理的变动申请，办结或撤回后才能发起新的申请。"


def check_no_open_request(pupil: Pupil | None) -> None:
    """One open request per pupil. Said here before anything is written; the partial unique
    index request_one_open_per_pupil settles two starts racing (request_start)."""
    if pupil is not None and ChangeRequest.objects.filter(pupil=pupil, status=RequestStatus.PENDING).exists():
        raise ValidationError(OPEN_REQUEST, code="open_request")


@transaction.atomic
def request_start(
    *,
    kind: str,
    actor: User,
    unit: Unit,
    pupil: Pupil | None,
    payload: dict[str, Any],
    files: list[CheckedFile] = (),
    resubmission_of: ChangeRequest | None = None,
) -> ChangeRequest:
    """Open a request of ``kind`` for ``pupil`` (None for a batch about many), started by
    ``actor`` for ``unit``, with its chain of steps (the first one starts now) and its
    attachments; ``resubmission_of`` links the rejected request it corrects. The kind's own
    checks come before (the kinds' start services call this)."""
    declaration = get_kind(kind)
    check_no_open_request(pupil)
    if resubmission_of is not None:
        resubmission_of = _lock_for_resubmission(actor=actor, old=resubmission_of, kind=kind, unit=unit, pupil=pupil)
    request = ChangeRequest(
        kind=kind, pupil=pupil, payload=payload, started_by=actor, started_unit=unit, resubmission_of=resubmission_of
    )
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError as error:
        if "request_one_open_per_pupil" in str(error):
            raise ValidationError(OPEN_REQUEST, code="open_request") from None
        raise
    chain = declaration.chain(request)
    if not chain:
        raise ValidationError("无法确定审批流程。")
    steps = ApprovalStep.objects.bulk_create(
        ApprovalStep(
            request=request, position=position, unit=spec.unit, role=spec.role, label=spec.label,
            working_days=spec.working_days or bureau_settings_for(spec.unit).approval_working_days,
        )
        for position, spec in enumerate(chain)
    )
    parties = {
        unit.pk, *([pupil.school_id] if pupil else []),
        *(u.pk for u in declaration.involved_units(request)), *(s.unit_id for s in steps),
    }
    RequestParty.objects.bulk_create(RequestParty(request=request, unit_id=unit_id) for unit_id in parties)
    _activate(steps[0], timezone.now())
    if files:
        attachments_store(request=request, files=list(files), actor=actor)
    audit_record(action="request.start", obj=request, user=actor, detail=declaration.summary(request))
    return request


def _activate(step: ApprovalStep, now: datetime) -> None:
    step.status = StepStatus.PENDING
    step.activated_at = now
    step.due_at = due_at_for(now, step.working_days)
    step.save(update_fields=["status", "activated_at", "due_at"])


# Deciding -------------------------------------------------------------------------------------

def decider_refusal(user: User, step: ApprovalStep) -> ValidationError | None:
    """Why ``user`` may not decide ``step``, or None: one decides a step by holding its role at
    its unit, and never a request one started (unless the kind lets the starter confirm it)."""
    request = step.request
    if request.started_by_id == user.pk and not get_kind(request.kind).starter_may_decide:
        return ValidationError("发起人不能审批自己发起的申请。", code="own_request")
    if not holds(user, step.role, step.unit_id) and not officer_stands_in(user, step):
        return ValidationError(f"您不是“{step.label}”的审批人。", code="not_decider")
    return None


def officer_stands_in(user: User, step: ApprovalStep) -> bool:
    """Whether ``user``, an officer of the step's bureau, may decide a step of its leader in charge
    (an export): only where the bureau's setting lets its officers approve exports."""
    if step.role != Role.LEADER or not step.unit.is_bureau:
        return False
    officer = DECIDING_ROLE.get(UnitKind(step.unit.kind))
    return bool(officer) and bureau_settings_for(step.unit).export_officers_may_approve and holds(user, officer, step.unit_id)


def may_decide(user: User, step: ApprovalStep) -> bool:
    return decider_refusal(user, step) is None


@transaction.atomic
def request_decide(
    *,
    actor: User,
    request_id: int,
    approve: bool,
    comment: str = "",
    details: dict[str, Any] | None = None,
) -> ChangeRequest:
    """Approve or reject the pending step of a request. A reason is required to reject.

    Locks the request: of two people deciding at once, the second finds the step decided and is
    refused."""
    request = ChangeRequest.objects.select_for_update(of=("self",)).select_related("pupil").get(pk=request_id)
    if request.status != RequestStatus.PENDING:
        raise ValidationError(f"该申请{RequestStatus(request.status).label}，不能再审批。", code="not_pending")
    step = request.steps.select_related("unit").get(position=request.current_position)
    if step.status != StepStatus.PENDING:
        raise ValidationError("此步骤已经处理。", code="step_decided")
    step.request = request
    refusal = decider_refusal(actor, step)
    if refusal is not None:
        raise refusal
    declaration = get_kind(request.kind)
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"comment": ValidationError("退回申请时必须填写理由。", code="reason_required")})
    if len(comment) > 1000:
        raise ValidationError({"comment": "意见最多 1000 字。"})
    details = details or {}
    refusals = declaration.check_decision(request, step, actor, approve, details)
    if refusals:
        # Refusals of no field are the request's own, as a service's would be.
        raise ValidationError(refusals[NON_FIELD_ERRORS] if set(refusals) == {NON_FIELD_ERRORS} else refusals)
    request.payload.update(declaration.decision_record(request, step, actor, approve, details))

    now = timezone.now()
    step.status = StepStatus.APPROVED if approve else StepStatus.REJECTED
    step.decided_at, step.decided_by, step.comment = now, actor, comment
    step.save(update_fields=["status", "decided_at", "decided_by", "comment"])
    following = request.steps.filter(position__gt=step.position).order_by("position")
    if not approve:
        following.update(status=StepStatus.CANCELLED)
        _finish(request, RequestStatus.REJECTED, now)
        declaration.closed_without_effect(request)
        _notify(request, key=f"decided:{request.pk}", kind=Notice.Kind.DECIDED, unit=request.started_unit,
                message=f"{request}（{request.subject}）被退回：{comment}")
    elif (next_step := following.first()) is not None:
        request.current_position = next_step.position
        request.save(update_fields=["current_position", "payload"])
        _activate(next_step, now)
    else:
        if request.pupil_id:
            request.state_before = pupil_state(request.pupil_id)
        _finish(request, RequestStatus.APPROVED, now)
        declaration.apply(request, actor)
        _queue_follow_up(request.pk)
    audit_record(
        action="request.approve" if approve else "request.reject", obj=request, user=actor,
        detail=f"{step.label}：{'同意' if approve else '退回'}{'，' + comment if comment else ''}",
    )
    return request


def _finish(request: ChangeRequest, status: str, now: datetime) -> None:
    request.status = status
    request.finished_at = now
    request.save(update_fields=["status", "finished_at", "payload", "state_before"])


def pupil_state(pupil_id: int) -> dict[str, Any]:
    """What an approval may change of a pupil and a reversal puts back: status, school, class, grade."""
    state = Pupil.objects.filter(pk=pupil_id).values("status", "school_id", "school_class_id", "grade").get()
    return {"status": state["status"], "school": state["school_id"], "school_class": state["school_class_id"],
            "grade": state["grade"]}


def _queue_follow_up(request_id: int) -> None:
    """Hand the follow-up to a worker once the decision commits; if the broker is away, the
    sweep does it later (followed_up_at stays empty)."""
    from xueji.approvals.tasks import request_follow_up  # the tasks module imports this one

    enqueue_on_commit(request_follow_up, request_id)


def request_follow_up(request_id: int) -> bool:
    """Run the kind's follow-up of an approved request once; True if it ran now."""
    with transaction.atomic():
        request = ChangeRequest.objects.select_for_update(skip_locked=True).filter(
            pk=request_id, status=RequestStatus.APPROVED, followed_up_at__isnull=True
        ).first()
        if request is None:
            return False
        get_kind(request.kind).follow_up(request)
        request_approved.send(sender=ChangeRequest, request=request)
        request.followed_up_at = timezone.now()
        request.save(update_fields=["followed_up_at"])
    return True


# Withdrawing and resubmitting ----------------------------------------------------------------

@transaction.atomic
def request_withdraw(*, actor: User, request_id: int) -> ChangeRequest:
    """The starter withdraws a request, until its first decision."""
    request = ChangeRequest.objects.select_for_update().get(pk=request_id)
    if request.started_by_id != actor.pk:
        raise ValidationError("只有发起人可以撤回申请。", code="not_starter")
    if request.status != RequestStatus.PENDING:
        raise ValidationError(f"该申请{RequestStatus(request.status).label}，不能撤回。", code="not_pending")
    if request.steps.exclude(status__in=[StepStatus.WAITING, StepStatus.PENDING]).exists():
        raise ValidationError("已有审批意见的申请不能撤回。", code="already_decided")
    request.steps.update(status=StepStatus.CANCELLED)
    _finish(request, RequestStatus.WITHDRAWN, timezone.now())
    get_kind(request.kind).closed_without_effect(request)
    audit_record(action="request.withdraw", obj=request, user=actor)
    return request


def check_resubmission(*, actor: User, old: ChangeRequest) -> None:
    """A rejected request can be corrected and resubmitted once, as a new request linking it, by
    a registrar of the unit that started it."""
    if old.status != RequestStatus.REJECTED:
        raise ValidationError("只有被退回的申请可以修改后重新提交。", code="resubmission")
    if old.resubmissions.exists():
        raise ValidationError("该申请已经重新提交过。", code="resubmission")
    if not holds(actor, Role.REGISTRAR, old.started_unit_id):
        raise ValidationError("只有发起单位的学籍管理员可以重新提交。", code="resubmission")


def resubmission_source(
    *, actor: User, kind: str, unit: Unit, request_id: int | None, pupil: Pupil | None = None
) -> ChangeRequest | None:
    """The rejected request that a new request of ``kind`` at ``unit`` (for ``pupil``, when it is
    known already) corrects and resubmits: the ``?resubmit=<id>`` of a start page, which fills
    the form with its answers. None without an id; refused when it is not such a request."""
    if not request_id:
        return None
    candidates = ChangeRequest.objects.filter(pk=request_id, kind=kind, started_unit=unit)
    if pupil is not None:
        candidates = candidates.filter(pupil=pupil)
    old = candidates.select_related("pupil__school").first()
    if old is None:
        raise ValidationError("要重新提交的申请不存在。", code="resubmission")
    check_resubmission(actor=actor, old=old)
    return old


def resubmittable(*, kind: str, unit: Unit, request_id: int | None) -> ChangeRequest | None:
    """The rejected request with this id of ``kind`` started by ``unit``, if it has not been
    resubmitted yet (an enrolment batch's entries remember their last batch: submitting them
    again resubmits it)."""
    if not request_id:
        return None
    return ChangeRequest.objects.filter(
        pk=request_id, kind=kind, started_unit=unit, status=RequestStatus.REJECTED, resubmissions__isnull=True
    ).first()


def _lock_for_resubmission(*, actor: User, old: ChangeRequest, kind: str, unit: Unit, pupil: Pupil | None) -> ChangeRequest:
    """The request a new one resubmits, locked (two resubmissions of one request cannot both
    link it) and checked: same kind, same pupil, same starting unit, rejected, not resubmitted."""
    old = ChangeRequest.objects.select_for_update(of=("self",)).get(pk=old.pk)
    if old.kind != kind or old.started_unit_id != unit.pk or old.pupil_id != (pupil.pk if pupil else None):
        raise ValidationError("要重新提交的申请与本申请不是同一类型、同一学生、同一学校的申请。", code="resubmission")
    check_resubmission(actor=actor, old=old)
    return old


# The deadline sweep --------------------------------------------------------------------------

@dataclass
class SweepReport:
    reminded: int = 0
    overdue: int = 0
    escalated: int = 0
    followed_up: int = 0
    notes: list[str] = field(default_factory=list)


def deadlines_sweep(now: datetime | None = None) -> SweepReport:
    """Remind the deciding party two working days (bureau setting) before a step is due, mark
    overdue steps and tell the next level up, and finish follow-ups a lost task left undone.

    Idempotent: every notice has a unique key and every step remembers what was done to it, so
    running the sweep twice changes nothing the second time; a reminder lost with the broker is
    sent by the next sweep, none twice.

    Set-based, for tens of thousands of steps at once (benchmarks/approvals.py: 100,000 open
    requests, 50,000 steps to remind or mark overdue, under 5 s): Python decides what depends on
    the calendar and on the tree — each unit's reminder window and the level above it, the working
    days left on each due day — once per unit and per day, not per step; then one statement per
    kind of notice marks the steps and writes their notices (_REMIND_SQL, _OVERDUE_SQL)."""
    now = now or timezone.now()
    workdays.clear_cache()  # see the table as it is now
    report = SweepReport()
    today = timezone.localtime(now).date()
    pending = ApprovalStep.objects.filter(status=StepStatus.PENDING)
    kinds = dict(kind_choices())
    common = {"now": now, "created": timezone.now(), "tz": timezone.get_current_timezone_name(),
              "kind_codes": list(kinds), "kind_labels": list(kinds.values())}

    # Reminders: due within the reminder window. The widest window of any bureau bounds the query;
    # each step is then checked against its own bureau's setting.
    horizon = end_of_day(workdays.add_working_days(today, _widest_reminder_window()))
    to_remind = pending.filter(reminded_at__isnull=True, due_at__lte=horizon, due_at__gte=now)
    settings = bureau_settings_by_unit(_units_of(to_remind))
    windows = {unit_id: unit_settings.reminder_working_days for unit_id, unit_settings in settings.items()}
    # The working days left (as working_days_left counts them) on each day a step may be due.
    days = [today + timedelta(days=n) for n in range((timezone.localtime(horizon).date() - today).days + 1)]
    report.reminded = _run_sweep_sql(_REMIND_SQL, {
        **common, "horizon": horizon, "window_units": list(windows), "windows": list(windows.values()),
        "due_days": days, "days_left": [workdays.working_days_between(today, day) for day in days],
    })[0]

    # Overdue: past due; the deciding party and the next level up are told.
    above, levels = {}, {}
    for unit in _units_of(pending.filter(overdue_at__isnull=True, due_at__lt=now)):
        # The level above a unit depends only on its kind and the units above it: asked once per
        # (kind, parent), not once for each of hundreds of schools under the same county.
        level = (unit.kind, unit.parent_id)
        if level not in levels:
            levels[level] = next_level_up(unit)
        above[unit.pk] = (unit.name, levels[level])
    report.overdue, report.escalated = _run_sweep_sql(_OVERDUE_SQL, {
        **common, "units": list(above), "unit_names": [name for name, _ in above.values()],
        "above": [up.pk if up else None for _, up in above.values()],
    })

    # Follow-ups the broker lost (approved more than a minute ago and not yet followed up).
    missed = ChangeRequest.objects.filter(
        status=RequestStatus.APPROVED, followed_up_at__isnull=True, finished_at__lt=now - timedelta(minutes=1)
    ).values_list("pk", flat=True)
    for request_id in list(missed):
        report.followed_up += request_follow_up(request_id)
    return report


def _units_of(steps) -> list[Unit]:
    return list(Unit.objects.filter(pk__in=steps.values("unit_id")).select_related("parent"))


def _run_sweep_sql(statement: str, params: dict) -> tuple[int, ...]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()


# The notices' texts are the ones the engine always wrote: "转学 #12（张三）的“转入学校校长审核”将于
# 2026-10-15 到期，还剩 2 个工作日。" (str(request) is "<kind label> #<id>"). Dates are local dates.
# Each statement marks the steps (UPDATE … RETURNING, so a step is marked exactly when its notices
# are written, whatever runs at the same time) and inserts the notices, skipping existing keys.
# Messages are cut at the column's 300 characters. Steps of a unit missing from the unit tables (one that got its first step after they were
# built) are left for the next sweep. The literals are StepStatus.PENDING and the Notice.Kind values.
_KINDS_TABLE = "kinds (code, label) AS (SELECT * FROM unnest(%(kind_codes)s::varchar[], %(kind_labels)s::varchar[]))"
_REMIND_SQL = f"""
WITH {_KINDS_TABLE},
    windows (unit_id, days) AS (SELECT * FROM unnest(%(window_units)s::bigint[], %(windows)s::int[])),
    due_days (day, days_left) AS (SELECT * FROM unnest(%(due_days)s::date[], %(days_left)s::int[])),
    marked AS (
        UPDATE xueji_approvalstep AS s SET reminded_at = %(now)s
        FROM windows AS w, due_days AS d
        WHERE s.status = 'pending' AND s.reminded_at IS NULL AND s.due_at >= %(now)s AND s.due_at <= %(horizon)s
          AND w.unit_id = s.unit_id AND d.day = (s.due_at AT TIME ZONE %(tz)s)::date AND d.days_left <= w.days
        RETURNING s.id, s.request_id, s.unit_id, s.role, s.label, s.due_at, d.days_left
    ),
    inserted AS (
        INSERT INTO xueji_notice (key, kind, unit_id, role, request_id, message, created_at)
        SELECT 'reminder:' || m.id || ':' || m.unit_id, 'reminder', m.unit_id, m.role, m.request_id,
               left(COALESCE(k.label, r.kind) || ' #' || m.request_id || '（' || COALESCE(p.name, r.payload->>'subject', '') || '）的“' || m.label || '”将于 '
               || to_char(m.due_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD') || ' 到期，还剩 ' || m.days_left || ' 个工作日。', 300),
               %(created)s
        FROM marked AS m
        JOIN xueji_changerequest AS r ON r.id = m.request_id
        LEFT JOIN xueji_pupil AS p ON p.id = r.pupil_id
        LEFT JOIN kinds AS k ON k.code = r.kind
        ON CONFLICT (key) DO NOTHING
    )
SELECT count(*) FROM marked
"""
_OVERDUE_SQL = f"""
WITH {_KINDS_TABLE},
    units (unit_id, unit_name, above_id) AS (
        SELECT * FROM unnest(%(units)s::bigint[], %(unit_names)s::varchar[], %(above)s::bigint[])
    ),
    marked AS (
        UPDATE xueji_approvalstep AS s SET overdue_at = %(now)s
        FROM units AS u
        WHERE s.status = 'pending' AND s.overdue_at IS NULL AND s.due_at < %(now)s AND u.unit_id = s.unit_id
        RETURNING s.id, s.request_id, s.unit_id, s.role, s.label, s.due_at, u.unit_name, u.above_id
    ),
    described AS (
        SELECT m.*, COALESCE(k.label, r.kind) || ' #' || m.request_id AS name, COALESCE(p.name, r.payload->>'subject', '') AS pupil,
               to_char(m.due_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD') AS due
        FROM marked AS m
        JOIN xueji_changerequest AS r ON r.id = m.request_id
        LEFT JOIN xueji_pupil AS p ON p.id = r.pupil_id
        LEFT JOIN kinds AS k ON k.code = r.kind
    ),
    inserted AS (
        INSERT INTO xueji_notice (key, kind, unit_id, role, request_id, message, created_at)
        SELECT key, kind, unit_id, role, request_id, left(message, 300), %(created)s FROM (
            SELECT 'overdue:' || id || ':' || unit_id AS key, 'overdue' AS kind, unit_id, role, request_id,
                   name || '（' || pupil || '）的“' || label || '”已于 ' || due || ' 超期。' AS message
            FROM described
            UNION ALL
            SELECT 'escalation:' || id || ':' || above_id, 'escalation', above_id, '', request_id,
                   unit_name || '的“' || label || '”（' || name || '，' || pupil || '）已于 ' || due || ' 超期，请督促办理。'
            FROM described WHERE above_id IS NOT NULL
        ) AS notices
        ON CONFLICT (key) DO NOTHING
    )
SELECT count(*), count(above_id) FROM marked
"""


def _widest_reminder_window() -> int:
    from django.db.models import Max

    from xueji.accounts.models import BureauSettings

    widest = BureauSettings.objects.aggregate(widest=Max("reminder_working_days"))["widest"]
    return max(widest or 0, BureauSettings().reminder_working_days)


def _notify(request: ChangeRequest, *, key: str, kind: str, unit: Unit, message: str, role: str = "") -> None:
    Notice.objects.bulk_create(
        [Notice(key=key, kind=kind, unit=unit, role=role, request=request, message=message[:300])],
        ignore_conflicts=True,
    )


def notify(request: ChangeRequest, *, key: str, unit: Unit, message: str, role: str = "") -> None:
    """A follow-up notice for a kind (idempotent by ``key``)."""
    _notify(request, key=key, kind=Notice.Kind.FOLLOW_UP, unit=unit, message=message, role=role)

