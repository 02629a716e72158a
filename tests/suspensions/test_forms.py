"""The application forms of suspensions/: 休学申请表 (续办休学申请表 for a renewal), 复学申请表 and
缓学申请表, printed beside the request (page and API) and read back with pdftotext: one page, the
pupil, the grounds and the kind's details, the signature and stamp boxes, who decided in the
boxes already decided, who printed it and when; numbers masked as the printing user sees them;
nothing for a user outside the request's scope; every print in the audit log."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from tests.factories import MembershipFactory, UserFactory
from tests.pdfs import page_count, pdf_words, squeezed
from tests.suspensions.conftest import decide, suspend
from tests.suspensions.test_resumption_and_deferral import defer, newcomer, resume, suspended  # noqa: F401 (fixtures)
from xueji.accounts.models import AuditEntry, Role
from xueji.approvals.services import request_decide
from xueji.identity import mask_id_number, mask_student_number

SHANGHAI = ZoneInfo("Asia/Shanghai")
PRINTED = datetime(2026, 12, 4, 10, 30, tzinfo=SHANGHAI)
DECIDED = datetime(2026, 10, 21, 9, 15, tzinfo=SHANGHAI)
BOX_LABELS = ["监护人签字", "学校意见", "班主任签字", "校长签字", "学校盖章", "县教育局意见", "负责人签字", "教育局盖章"]


@pytest.fixture
def named(world):
    """The people the forms name: who prints and who decides."""
    for username, full_name in [("registrar_a1", "张三"), ("headmaster_a1", "王校长"), ("officer_a", "刘科长"),
                                ("city_officer", "陈处长")]:
        user = world.user(username)
        user.full_name = full_name
        user.save(update_fields=["full_name"])
    return world


def form_url(request) -> str:
    return f"/suspensions/requests/{request.pk}/form.pdf"


def printed(client, url: str):
    with time_machine.travel(PRINTED, tick=False):
        return client.get(url)


def signed_by_headmaster(world, request, comment: str = "情况属实，同意休学，报教育局审批。"):
    with time_machine.travel(DECIDED, tick=False):
        request_decide(actor=world.user("headmaster_a1"), request_id=request.pk, approve=True, comment=comment)
    return request


def test_suspension_form_prints_the_pupil_the_grounds_and_the_boxes(named, login, no_cap):
    request = signed_by_headmaster(named, suspend(named))
    response = printed(login(named.user("registrar_a1")), form_url(request))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert page_count(response.content) == 1
    text = pdf_words(response.content)
    assert "休学申请表" in text and "续办" not in text
    assert "张小明" in text and "农安县实验小学" in text and "三年级（1）班" in text
    # The grounds and the kind's details from the payload, and the proof attached.
    for words in ["伤病", "骨折住院", "农安县人民医院", "2026-10-12", "2027-10-12", "诊断证明.pdf"]:
        assert words in text, words
    for label in BOX_LABELS:
        assert label in text, label
    assert "中心校意见" not in text  # A1 is a county-town school: no central school in its chain
    # The decided step: who, when, the comment; the bureau's box still empty.
    assert squeezed("审批人 王校长，2026-10-21 09:15") in text and "同意休学，报教育局审批" in text
    assert "刘科长" not in text
    assert squeezed("打印：张三 2026-12-04 10:30") in text and f"申请编号：#{request.pk}" in text


def test_every_print_is_in_the_audit_log(named, login, no_cap):
    request = suspend(named)
    printed(login(named.user("officer_a")), form_url(request))
    entry = AuditEntry.objects.get(action="document.print", object_id=str(request.pk))
    assert entry.user == named.user("officer_a") and "休学申请表" in entry.detail


def test_decider_names_fill_their_boxes_once_decided(named, login, no_cap):
    request = decide(named, signed_by_headmaster(named, suspend(named)), "officer_a", today=date(2026, 10, 22))
    text = pdf_words(printed(login(named.user("registrar_a1")), form_url(request)).content)
    assert "王校长" in text and "刘科长" in text and text.count("系统审批记录：同意") == 2


def test_request_page_offers_the_form(named, login, no_cap):
    request = suspend(named)
    page = login(named.user("officer_a")).get(f"/requests/{request.pk}/").content.decode()
    assert "打印申请表" in page and form_url(request) in page


@pytest.mark.parametrize("username, full", [("registrar_a1", True), ("officer_a", True), ("city_officer", False)])
def test_numbers_are_printed_as_the_user_sees_them(named, login, no_cap, username, full):
    request = suspend(named)
    pupil = request.pupil
    text = pdf_words(printed(login(named.user(username)), form_url(request)).content)
    assert (pupil.id_number in text) is full
    assert (pupil.student_number in text) is full  # a G number carries the ID number
    if not full:
        assert mask_id_number(pupil.id_number) in text and mask_student_number(pupil.student_number) in text


@pytest.mark.parametrize("username", ["registrar_b1", "officer_b", "registrar_a2", "headmaster_a2", "teacher_a1"])
def test_nobody_outside_the_request_prints_it(named, login, api_as, no_cap, username):
    request = suspend(named)
    assert printed(login(named.user(username)), form_url(request)).status_code == 404
    assert api_as(username).get(f"/api/v1/suspensions/{request.pk}/form.pdf").status_code == 404
    assert not AuditEntry.objects.filter(action="document.print").exists()


def test_api_serves_the_form_of_its_own_kind_only(named, api_as, no_cap):
    request = suspend(named)
    client = api_as("registrar_a1")
    with time_machine.travel(PRINTED, tick=False):
        response = client.get(f"/api/v1/suspensions/{request.pk}/form.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_words(response.content)
    assert "休学申请表" in text and squeezed("打印：张三 2026-12-04 10:30") in text
    assert client.get(f"/api/v1/resumptions/{request.pk}/form.pdf").status_code == 404
    assert client.get(f"/api/v1/deferrals/{request.pk}/form.pdf").status_code == 404
    entries = AuditEntry.objects.filter(action="document.print", object_id=str(request.pk))
    assert [entry.user for entry in entries] == [named.user("registrar_a1")]


def test_rural_school_form_has_the_central_school_box(named, login, no_cap):
    registrar = UserFactory(username="registrar_a3", full_name="赵六")
    MembershipFactory(user=registrar, unit=named.units["a3"], role=Role.REGISTRAR)
    named.users["registrar_a3"] = registrar
    request = suspend(named, "a3", registrar="registrar_a3")
    response = printed(login(registrar), form_url(request))
    text = pdf_words(response.content)
    assert page_count(response.content) == 1
    assert "中心校意见" in text and "中心校盖章" in text and "合隆镇中心校" in text
    assert text.index("学校意见") < text.index("中心校意见") < text.index("县教育局意见")  # the chain's order


def test_renewal_prints_as_a_renewal(named, login, no_cap):
    decide(named, suspend(named))
    renewal = suspend(named, today=date(2027, 10, 1), first_absence=None)
    text = pdf_words(printed(login(named.user("registrar_a1")), form_url(renewal)).content)
    assert "续办休学申请表" in text and "现申请续办休学" in text
    assert squeezed("休学期自 2027-10-12 至 2028-10-12") in text and "续休开始日期" in text


def test_resumption_form(named, login, suspended):
    request = resume(named, suspended)
    response = printed(login(named.user("registrar_a1")), form_url(request))
    text = pdf_words(response.content)
    assert page_count(response.content) == 1
    assert "复学申请表" in text and "张小明" in text
    assert "三年级（2）班" in text and "2027-10-12" in text and "康复证明.pdf" in text
    for label in BOX_LABELS:
        assert label in text, label


def test_deferral_form(named, login, newcomer):  # noqa: F811 (the fixture)
    request = defer(named, newcomer)
    response = printed(login(named.user("registrar_a1")), form_url(request))
    text = pdf_words(response.content)
    assert page_count(response.content) == 1
    assert "缓学申请表" in text and "孙新生" in text and "2026年秋季延缓入学" in text
    assert "农安县人民医院" in text and "体弱" in text
    assert "医务证明书：医务证明书.pdf" in text and "家长书面缓学申请：缓学申请.pdf" in text
    for label in BOX_LABELS:
        assert label in text, label


@pytest.mark.parametrize("pupil_key", ["a1", "a3"])  # two boxes, and three with the central school
def test_form_stays_one_page_with_the_longest_texts(named, login, pupil_key):
    """Every free text at its longest: the form shrinks its type rather than spill onto a second page."""
    if pupil_key == "a3":
        registrar = UserFactory(username="registrar_a3")
        MembershipFactory(user=registrar, unit=named.units["a3"], role=Role.REGISTRAR)
        named.users["registrar_a3"] = registrar
    pupil = named.pupils[pupil_key]
    pupil.address = ("吉林省长春市农安县合隆镇陈家店村" * 20)[:200]
    pupil.save(update_fields=["address"])
    request = suspend(named, pupil_key, registrar=f"registrar_{pupil_key}", grounds_note="长" * 500,
                      hospital=("吉林大学第一医院" * 20)[:100], files=None)
    # The bureau's exceptions at their longest (kinds.py keeps 300 characters of a reason).
    request.payload.update(graduating=True, over_cap=True, grade_count={"suspended": 1, "size": 1, "cap_percent": 3},
                           exceptions={flag: {"reason": "理" * 300, "unit": "农安县教育局", "by": 1}
                                       for flag in ("graduating", "over_cap")})
    request.save(update_fields=["payload"])
    request.steps.update(status="approved", decided_by=named.user("officer_a"), decided_at=timezone.now(),
                         comment="意" * 1000)
    response = printed(login(named.user(f"registrar_{pupil_key}")), form_url(request))
    assert page_count(response.content) == 1
    text = pdf_words(response.content)
    assert f"意见全文见系统中的申请#{request.pk}" in text  # a cut comment says so
    assert "负责人签字" in text and "监护人签字" in text
