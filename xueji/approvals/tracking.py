"""The guardian's view, without an account: every printed 申请表 carries a QR code to
``/track/<code>/``, a public page with that request's progress (its steps, the units that decided
and when, what is still missing, the deadline).

- The code is random (60 bits, Crockford's base32), unique and stored on the request
  (``ChangeRequest.tracking_code``), drawn when the form is first printed: never the request's
  id, nothing personal in the URL.
- Nothing shows before the answer: the last six characters of the pupil's ID number, or the
  birth date for a pupil without one. A wrong answer counts in the cache (Redis, shared by every
  web process) per request and per client address; past ``TRACK_FAILURE_LIMIT`` on one request or
  ``TRACK_ADDRESS_FAILURE_LIMIT`` from one address within ``TRACK_LOCKOUT_MINUTES``, answers are
  refused unread, as the login's lockouts refuse a password (xueji/accounts/login.py). A code that
  names no request counts against the address too (guessing codes). A right
  answer opens that request, and only it, to the session for ``TRACK_SESSION_MINUTES``.
- What shows is ``progress()``: the pupil's name masked (张*明), the school, the kind, the steps by
  unit with their dates. Never a person's name (no decider, no comment: comments name people),
  never an ID number, never another pupil.
- Every view, every wrong answer and every refusal is in the audit log (``track.*``).
- A bureau turns it off (``BureauSettings.guardian_tracking``): no QR is printed on its schools'
  forms and the page says so.

The page and its JSON are xueji/approvals/tracking_views.py; the QR on the form is
xueji/documents/application_forms.py (every kind's form extends it, so every form has it).
"""

import logging
import secrets
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from redis.exceptions import RedisError

from xueji.accounts.selectors import bureau_settings_for
from xueji.approvals.models import ChangeRequest, RequestStatus, StepStatus

logger = logging.getLogger(__name__)

# Crockford's base32 without I, L, O, U: read off paper and typed without confusion.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 60 bits
SESSION_KEY = "xueji_track"

DISABLED_MESSAGE = "本地教育行政部门未开放扫码查询申请进度，请向学校询问办理情况。"
NOT_FOUND_MESSAGE = "没有找到这份申请。请核对申请表上二维码下方的查询码。"
ASK_ID_MESSAGE = "请输入学生身份证件号的后六位。"
ASK_BIRTH_MESSAGE = "请输入学生的出生日期（例如 2018-03-05）。"
WRONG_MESSAGE = "输入的信息不正确，请核对后再试。"
LOCKED_MESSAGE = "输入错误次数过多，请 %(minutes)d 分钟后再试。"
UNAVAILABLE_MESSAGE = "暂时无法核对，请稍后再试。"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(code: str) -> str:
    """As typed from paper: case, spaces and dashes do not matter; O, I and L read as 0, 1, 1."""
    code = "".join((code or "").split()).replace("-", "").upper()
    return code.translate(str.maketrans("OIL", "011"))[:CODE_LENGTH + 4]


def request_for_code(code: str) -> ChangeRequest | None:
    code = normalize_code(code)
    if len(code) != CODE_LENGTH:
        return None
    return (ChangeRequest.objects.select_related("pupil", "pupil__school", "started_unit")
            .filter(tracking_code=code, pupil__isnull=False).first())


def tracking_enabled(change: ChangeRequest) -> bool:
    """Whether the bureau of the pupil's school lets guardians follow its requests."""
    if not change.pupil_id:
        return False  # a batch names no one a guardian could follow
    return bureau_settings_for(change.pupil.school).guardian_tracking


def tracking_code_for(change: ChangeRequest) -> str:
    """The request's code, drawn and stored the first time it is asked for. Two prints at once
    store one code: the update only writes where there is none yet."""
    if change.tracking_code:
        return change.tracking_code
    for _ in range(5):
        code = new_code()
        try:
            with transaction.atomic():
                written = ChangeRequest.objects.filter(pk=change.pk, tracking_code__isnull=True).update(tracking_code=code)
        except IntegrityError:
            continue  # the same code drawn for another request (1 in 2^60): draw again
        if not written:
            code = ChangeRequest.objects.values_list("tracking_code", flat=True).get(pk=change.pk)
        change.tracking_code = code
        return code
    raise RuntimeError("could not draw a unique tracking code")


def tracking_url(code: str) -> str:
    """The full address the QR code holds: guardians scan it from outside the office."""
    return settings.PUBLIC_URL + reverse("approvals:track", args=[code])


# The answer ---------------------------------------------------------------------------------

def asks_for_birth_date(change: ChangeRequest) -> bool:
    return not change.pupil.id_number


def question(change: ChangeRequest) -> str:
    return ASK_BIRTH_MESSAGE if asks_for_birth_date(change) else ASK_ID_MESSAGE


def _birth_date(text: str) -> date | None:
    digits = "".join(ch for ch in text if ch.isdigit())
    parts = [p for p in "".join(ch if ch.isdigit() else " " for ch in text).split()]
    try:
        if len(parts) == 3:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
        if len(digits) == 8:
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None
    return None


def answer_matches(change: ChangeRequest, answer: str) -> bool:
    answer = "".join((answer or "").split()).upper()[:40]
    pupil = change.pupil
    if pupil.id_number:
        expected = pupil.id_number.strip().upper()[-6:]
        # As bytes: compare_digest refuses str with characters outside ASCII, which anyone may type.
        return len(answer) == 6 and secrets.compare_digest(answer.encode(), expected.encode())
    return _birth_date(answer) == pupil.birth_date


def _request_key(change: ChangeRequest) -> str:
    return f"track-fail:request:{change.pk}"


def _address_key(ip: str | None) -> str:
    return f"track-fail:address:{ip or 'unknown'}"


def address_locked(ip: str | None) -> bool:
    """Too many wrong answers (or unknown codes) from this address."""
    return cache.get(_address_key(ip), 0) >= settings.TRACK_ADDRESS_FAILURE_LIMIT


def locked(change: ChangeRequest, ip: str | None) -> bool:
    """Too many wrong answers on this request, or from this address: answers are not read."""
    return cache.get(_request_key(change), 0) >= settings.TRACK_FAILURE_LIMIT or address_locked(ip)


def _count(key: str) -> None:
    timeout = settings.TRACK_LOCKOUT_MINUTES * 60
    cache.add(key, 0, timeout=timeout)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)


def count_failure(change: ChangeRequest | None, ip: str | None) -> None:
    """One wrong answer (or, without a request, an unknown code) on the counters it concerns; each
    lives TRACK_LOCKOUT_MINUTES from its first failure."""
    if change is not None:
        _count(_request_key(change))
    _count(_address_key(ip))


class Unavailable(Exception):
    """The cache that counts failures cannot be reached: no answer is checked uncounted."""


@dataclass(frozen=True)
class Attempt:
    ok: bool
    message: str = ""
    locked: bool = False


def answer_attempt(change: ChangeRequest, answer: str, ip: str | None) -> Attempt:
    """Check an answer under the lockouts, and audit it. The page and the JSON both use this."""
    from xueji.accounts.audit import audit_record
    from xueji.accounts.models import AuditEntry

    try:
        if locked(change, ip):
            audit_record(action="track.locked", obj=change, result=AuditEntry.Result.DENIED, ip=ip,
                         unit=change.pupil.school, detail="家长查询：错误次数过多，暂停核对")
            return Attempt(False, LOCKED_MESSAGE % {"minutes": settings.TRACK_LOCKOUT_MINUTES}, locked=True)
        if answer_matches(change, answer):
            return Attempt(True)
        count_failure(change, ip)
    except (RedisError, OSError) as error:
        logger.warning("tracking: the cache cannot be reached", exc_info=True)
        raise Unavailable from error
    audit_record(action="track.failed", obj=change, result=AuditEntry.Result.FAILED, ip=ip,
                 unit=change.pupil.school, detail="家长查询：核对信息错误")
    return Attempt(False, WRONG_MESSAGE)


def session_grant(session, change: ChangeRequest) -> None:
    granted = {code: until for code, until in session.get(SESSION_KEY, {}).items() if until > time.time()}
    granted[change.tracking_code] = time.time() + settings.TRACK_SESSION_MINUTES * 60
    session[SESSION_KEY] = granted


def session_allows(session, change: ChangeRequest) -> bool:
    return session.get(SESSION_KEY, {}).get(change.tracking_code, 0) > time.time()


# What the page shows ------------------------------------------------------------------------

def mask_name(name: str) -> str:
    """张小明 → 张*明, 王明 → 王*, 欧阳小明 → 欧**明: the first and the last character only.
    A name in Latin letters keeps its first letter of each word."""
    name = (name or "").strip()
    if not name:
        return ""
    if name.isascii():
        return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass(frozen=True)
class StepProgress:
    label: str
    unit: str
    status: str  # the StepStatus value
    status_label: str
    decided_at: datetime | None
    due_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class Progress:
    kind: str
    pupil: str  # masked
    school: str
    status: str
    status_label: str
    started_at: datetime
    finished_at: datetime | None
    steps: list[StepProgress]
    missing: list[str]
    deadline: datetime | None

    def as_json(self) -> dict:
        def value(v):
            return timezone.localtime(v).isoformat() if isinstance(v, datetime) else v
        data = asdict(self)
        data["steps"] = [{k: value(v) for k, v in step.items()} for step in data["steps"]]
        return {k: value(v) for k, v in data.items()}


def progress(change: ChangeRequest) -> Progress:
    """What the guardian's page shows of a request: nothing that names a person but the pupil's
    masked name, nothing of another pupil."""
    now = timezone.now()
    steps = list(change.steps.select_related("unit").order_by("position"))
    shown = [
        StepProgress(
            label=step.label, unit=step.unit.name, status=step.status, status_label=step.get_status_display(),
            decided_at=step.decided_at if step.status in (StepStatus.APPROVED, StepStatus.REJECTED) else None,
            due_at=step.due_at if step.status == StepStatus.PENDING else None,
            overdue=bool(step.status == StepStatus.PENDING and step.due_at and step.due_at < now),
        )
        for step in steps
    ]
    missing: list[str] = []
    deadline = None
    if change.status == RequestStatus.PENDING:
        for step in steps:
            if step.status == StepStatus.PENDING:
                missing.append(f"等待{step.unit.name}审核（{step.label}）")
                deadline = step.due_at
            elif step.status == StepStatus.WAITING:
                missing.append(f"之后由{step.unit.name}审核（{step.label}）")
    elif change.status == RequestStatus.REJECTED:
        missing.append("申请已被退回：请与学校联系，补正后由学校重新提交。")
    elif change.status == RequestStatus.WITHDRAWN:
        missing.append("申请已撤回。")
    return Progress(
        kind=change.kind_label, pupil=mask_name(change.pupil.name), school=change.pupil.school.name,
        status=change.status, status_label=change.get_status_display(),
        started_at=change.started_at, finished_at=change.finished_at,
        steps=shown, missing=missing, deadline=deadline,
    )
