"""Demo data of dropouts/, in county A (农安县): dropout cases at every point of the return
procedure, so that the schools' 控辍保学 lists, the case pages and the bureau's page have something
to show, and two pupils of 农安县实验小学 on its suspected list.

- confirmed on the last school day, with only the automatic report to the bureau (A1);
- home visit with a photo and the written return notice, a few days ago (A2);
- home visit, notice and the referral to 合隆镇人民政府 (A3, a rural school);
- left for Korea without applying, reported 15 school days ago and nothing since (A1): stalled;
- one home visit 28 school days ago and nothing since (A2): stalled;
- returned to class after a visit and the notice (A1): closed.

Idempotent: nothing is added once any dropout case or absence exists. The dates are counted in
school days back from the load day and passed to the services (``today=`` of confirm_dropout, the
steps' days, the return's day), so the bureau's page marks the stalled ones whatever day it is."""

import io
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from dropouts import ledgers, reports
from dropouts.models import Absence, CaseStep, DropoutCase, LedgerAttempt, LedgerEntry, MonthlyDropoutReport
from enrollment.admission.models import AdmissionEntry
from dropouts.photos import check_photos
from dropouts.services import DROPOUT_ABSENCE_DAYS, add_step, close_returned, confirm_dropout, record_absence
from xueji.accounts.models import Unit, UnitKind, User
from xueji.calendar import workdays
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil

A1, A2, A3 = "2122012201", "2122012202", "2122012203"
REGISTRARS = {A1: "registrar_a1", A2: "registrar_a2", A3: "registrar_a3"}


def _last_school_day(today: date) -> date:
    return today if workdays.is_working_day(today) else workdays.add_working_days(today, -1)


def _pupils(code: str, count: int) -> list[Pupil]:
    """Pupils in school with no open request, from the end of the roll: the other demos take
    theirs from the front."""
    return list(
        Pupil.objects.filter(school__code=code, status=PupilStatus.ENROLLED, deleted_at__isnull=True)
        .exclude(requests__status="pending").select_related("school", "school_class").order_by("-id")[:count]
    )


def _absent(pupil: Pupil, last: date, count: int = DROPOUT_ABSENCE_DAYS) -> None:
    registrar = User.objects.get(username=REGISTRARS[pupil.school.code])
    days = [workdays.add_working_days(last, -i) for i in range(count - 1, 0, -1)] + [last]
    for day in days:
        record_absence(actor=registrar, pupil=pupil, day=day)


def _confirm(pupil: Pupil, on: date, contacts: str, **abroad) -> DropoutCase:
    if not abroad:
        _absent(pupil, on)
    registrar = User.objects.get(username=REGISTRARS[pupil.school.code])
    return confirm_dropout(actor=registrar, pupil=pupil, contacts_tried=f"{contacts}（演示数据）", today=on, **abroad)


def _visit(case: DropoutCase, day: date, outcome: str, photo: bool = False) -> None:
    headmaster = User.objects.get(username=f"headmaster_{_key(case.school.code)}")
    photos = check_photos([ContentFile(_house_photo(), name="家访照片（演示）.png")]) if photo else []
    add_step(actor=headmaster, case=case, kind=CaseStep.Kind.HOME_VISIT, day=day, visitors="校长、班主任",
             outcome=outcome, photos=photos)


def _notice(case: DropoutCase, day: date) -> None:
    add_step(actor=User.objects.get(username=REGISTRARS[case.school.code]), case=case, kind=CaseStep.Kind.NOTICE,
             day=day, deadline=day + timedelta(days=7), text="劝返复学通知书由班主任送达，监护人签收回执。")


def _key(code: str) -> str:
    return {A1: "a1", A2: "a2", A3: "a3"}[code]


def _house_photo() -> bytes:
    """A drawing standing in for a photo of the visit (no real family's home in a demo)."""
    image = Image.new("RGB", (480, 360), (170, 205, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 250, 480, 360), fill=(120, 160, 90))
    draw.rectangle((140, 150, 340, 280), fill=(200, 180, 150))
    draw.polygon([(120, 155), (240, 80), (360, 155)], fill=(160, 60, 50))
    draw.rectangle((220, 210, 260, 280), fill=(110, 80, 60))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def load(say) -> None:
    _load_cases(say)
    _load_ledgers(say)


def _load_cases(say) -> None:
    if DropoutCase.objects.exists() or Absence.objects.exists():
        return
    a1, a2, a3 = _pupils(A1, 5), _pupils(A2, 2), _pupils(A3, 1)
    if len(a1) < 5 or len(a2) < 2 or len(a3) < 1:
        return
    last = _last_school_day(timezone.localdate())

    def back(n: int) -> date:
        return workdays.add_working_days(last, -n)

    with transaction.atomic():
        # Confirmed on the last school day: only the report to the bureau so far.
        _confirm(a1[0], last, "班主任连续两周每天电话联系家长，均未接听；微信留言未回复")
        # A home visit with a photo, then the written notice: waiting for the deadline.
        case = _confirm(a2[0], back(6), "班主任电话联系三次，家长称孩子不愿上学")
        _visit(case, back(5), "学生在家玩手机，家长管不住；已讲明义务教育法，家长答应劝说", photo=True)
        _notice(case, back(4))
        # Visit and notice failed: referred to the township government, which acts next.
        case = _confirm(a3[0], back(20), "电话联系父亲三次，称在外地务工，孩子由爷爷照看")
        _visit(case, back(18), "爷爷称管不住孩子，孩子在镇上网吧", photo=True)
        _notice(case, back(16))
        add_step(actor=User.objects.get(username=REGISTRARS[A3]), case=case, kind=CaseStep.Kind.REFERRAL, day=back(8),
                 referred_to="合隆镇人民政府", text="逾期未复学，书面报合隆镇人民政府；镇政府安排包村干部和村委会入户动员。")
        # Left for Korea without applying: reported, then nothing for 15 school days (stalled).
        _confirm(a1[1], back(15), "邻居告知全家已随父亲出境务工，电话停机",
                 ground=DropoutCase.Ground.ABROAD, country="KOR", left_on=back(15) - timedelta(days=20))
        # One home visit 28 school days ago, nothing since (stalled).
        case = _confirm(a2[1], back(30), "家长电话中表示孩子要外出打工")
        _visit(case, back(28), "家长仍坚持让孩子外出打工，学校讲明义务教育法规定")
        # Back at school: visited, noticed, returned into the own class.
        case = _confirm(a1[2], back(40), "电话联系母亲两次未果")
        school_class = a1[2].school_class
        _visit(case, back(38), "孩子与同学闹矛盾不愿上学，班主任和家长共同开导")
        _notice(case, back(37))
        close_returned(actor=User.objects.get(username=REGISTRARS[A1]), case=case, school_class=school_class,
                       day=back(33))
        # On A1's suspected list: ten and twelve school days of unexplained absence up to now.
        _absent(a1[3], last, 10)
        _absent(a1[4], last, 12)
    say("  辍学演示：6 名辍学学生（5 名劝返中，其中 2 名超过10个工作日无新步骤；1 名已复学），2 名疑似辍学学生\n")


# The three ledgers (dropouts/ledgers.py) -------------------------------------------------------
# Three children admitted to 合隆镇陈家店小学 last autumn who never came: found by the ledger 45 days
# ago (open longer than 30 days on the county's quarterly review), one phoned and visited, one
# closed as studying in 长春; the ledgers of county A brought up to today (A1's suspects, and
# A1's admitted children not entered yet once the autumn's registration weeks are over); A1's
# monthly report of last month made and signed by the headmaster, A2's made and waiting.
NOT_ENROLLED = [("钱小朵", "2", (4, 12)), ("孙浩然", "1", (7, 3)), ("吴佳怡", "2", (11, 20))]


def _id_number(born: date, gender: str, sequence: int) -> str:
    from stdnum.cn import ric

    body = f"220122{born:%Y%m%d}{sequence * 2 + (1 if gender == '1' else 0):03d}"
    return body + ric.calc_check_digit(body + "0")


def _load_ledgers(say) -> None:
    if LedgerEntry.objects.exists() or MonthlyDropoutReport.objects.exists():
        return
    today = timezone.localdate()
    a3 = Unit.objects.filter(code=A3).first()
    a1, a2 = Unit.objects.filter(code=A1).first(), Unit.objects.filter(code=A2).first()
    if a3 is None or a1 is None or a2 is None:
        return
    officer = User.objects.get(username="officer_a")
    year = today.year - 1  # last autumn's intake: its registration weeks are over whatever the day
    with transaction.atomic():
        admitted = []
        for index, (name, gender, (month, day)) in enumerate(NOT_ENROLLED, start=1):
            born = date(year - 7, month, day)
            admitted.append(AdmissionEntry.objects.create(
                school=a3, intake_year=year, name=name, gender=gender, birth_date=born, id_type="1",
                id_number=_id_number(born, gender, 400 + index), imported_by=officer,
            ))
        ledgers.ledger_sync(schools=[a3], today=today - timedelta(days=45))
        entries = {e.name: e for e in LedgerEntry.objects.filter(admission_id__in=[a.pk for a in admitted])}
        headmaster = User.objects.get(username="headmaster_a3")
        for entry, method, back_days, result in (
            (entries["钱小朵"], LedgerAttempt.Method.PHONE, 44, "父亲称孩子随奶奶在乡下，答应开学送来（演示数据）"),
            (entries["钱小朵"], LedgerAttempt.Method.HOME_VISIT, 30, "奶奶称孩子身体弱，想晚一年上学；已讲明须办理缓学手续"),
            (entries["吴佳怡"], LedgerAttempt.Method.PHONE, 40, "母亲称已随父母到长春市就读"),
        ):
            ledgers.attempt_add(actor=headmaster, entry=entry, day=today - timedelta(days=back_days), method=method,
                                result=result)
        ledgers.entry_close(actor=User.objects.get(username=REGISTRARS[A3]), entry=entries["吴佳怡"],
                            reason=LedgerEntry.CloseReason.ELSEWHERE, day=today - timedelta(days=35),
                            note="长春市朝阳区某小学出具在读证明（演示数据）")
        ledgers.ledger_sync(schools=Unit.objects.filter(kind=UnitKind.SCHOOL, path__startswith=a1.parent.path), today=today)
        month = reports.previous_month(today)
        report = reports.report_make(actor=User.objects.get(username="registrar_a1"), school=a1, month=month, today=today)
        reports.report_sign(actor=User.objects.get(username="headmaster_a1"), report=report)
        reports.report_make(actor=User.objects.get(username="registrar_a2"), school=a2, month=month, today=today)
    say("  控辍台账：合隆镇陈家店小学 3 名录取未入学儿童（2 名超过30天未销号，1 名已在外地就学销号），"
        "农安县实验小学上月控辍月报已由校长签字\n")
