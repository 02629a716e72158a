"""学籍核查 on the pages: the head teacher's roll-call of the own class (and no other), the
registrar's progress and work lists with the links to 补建 and to the absence log, the home school
confirming a visiting pupil, the bureau's county table, the home panels, and the printed report
read back with pdftotext."""

import pytest

from archives.rollcall import services as rollcall
from archives.rollcall.models import RollCall, RollCallEntry
from tests.archives.rollcall.helpers import AFTER, IN_WINDOW, frozen, mark_all, open_call, semester
from tests.archives.rollcall.test_rollcall import finished_with_every_outcome
from tests.document_jobs import print_through_job
from tests.factories import make_pupil
from tests.pdfs import page_count, pdf_words
from xueji.accounts.models import AuditEntry
from xueji.documents.models import PrintedDocument


def class_url(world, key="a1_3_1") -> str:
    return f"/archives/rollcalls/classes/{world.classes[key].pk}/"


def start_url(world, key="a1_3_1") -> str:
    return f"/archives/rollcalls/classes/{world.classes[key].pk}/start/"


def action_url(roll_call, action: str) -> str:
    """save, rest-present, finish, unlisted (add a child on no list)."""
    return f"/archives/rollcalls/{roll_call.pk}/{action}/"


def test_head_teacher_calls_the_roll_on_the_page_and_submits(world, login):
    semester(world)
    second = make_pupil(world.units["a1"], world.classes["a1_3_1"], name="陈二")
    first = world.pupils["a1"]
    with frozen(IN_WINDOW):
        client = login(world.user("teacher_a1"))
        page = client.get(class_url(world)).content.decode()
        assert "开始点名" in page
        assert client.post(start_url(world)).status_code == 302
        roll_call = RollCall.objects.get()
        entries = {e.name: e for e in roll_call.entries.all()}
        # Saving with an absence but no reason: refused, what was typed stays on the page.
        response = client.post(action_url(roll_call, "save"), {f"present-{entries['陈二'].pk}": "0",
                                                               f"note-{entries['陈二'].pk}": "电话打不通"})
        assert response.status_code == 400 and "陈二：请选择缺席原因" in response.content.decode()
        assert "电话打不通" in response.content.decode()
        client.post(action_url(roll_call, "save"), {f"present-{entries['陈二'].pk}": "0", f"reason-{entries['陈二'].pk}": "unknown",
                                                    f"note-{entries['陈二'].pk}": "电话打不通"})
        client.post(action_url(roll_call, "unlisted"), {"name": "王小虎", "note": "9月从外省来"})
        # The rest present at once, then submitted.
        response = client.post(action_url(roll_call, "rest-present"))
        assert response.status_code == 302
        response = client.post(action_url(roll_call, "finish"))
        assert response.status_code == 302
        page = client.get(class_url(world)).content.decode()
    roll_call.refresh_from_db()
    assert roll_call.status == "done" and roll_call.held_on == IN_WINDOW
    assert {e.name: (e.present, e.outcome) for e in roll_call.entries.all()} == {
        first.name: (True, ""), second.name: (False, "dropout"), "王小虎": (True, "late_registration")}
    assert "已完成" in page and "无故缺席：疑似辍学" in page


def test_head_teacher_cannot_see_or_call_another_class(world, login):
    semester(world)
    with frozen(IN_WINDOW):
        client = login(world.user("teacher_a1"))
        assert client.get(class_url(world, "a1_3_2")).status_code == 404
        assert client.post(start_url(world, "a1_3_2")).status_code == 404
        assert client.get(f"/archives/rollcalls/schools/{world.units['a1'].pk}/").status_code == 404
        # The registrar reads a class with a head teacher but does not call its roll.
        client = login(world.user("registrar_a1"))
        assert client.get(class_url(world)).status_code == 200
        assert client.post(start_url(world)).status_code == 403
    assert not RollCall.objects.exists()


def test_other_schools_and_counties_see_nothing(world, login):
    roll_call = finished_with_every_outcome(world)
    entry = roll_call.entries.get(name="王小虎")
    with frozen(IN_WINDOW):
        for name in ("registrar_a2", "registrar_b1", "officer_b", "headmaster_b1"):
            client = login(world.user(name))
            assert client.get(class_url(world)).status_code == 404, name
            assert client.get(f"/archives/rollcalls/schools/{world.units['a1'].pk}/").status_code == 404, name
            assert client.get(f"/archives/rollcalls/schools/{world.units['a1'].pk}/report.pdf").status_code == 404, name
            report = f"/archives/rollcalls/schools/{world.units['a1'].pk}/report.pdf"
            assert client.post(report).status_code == 404, name  # the button starts nothing either
            assert client.post(f"/archives/rollcalls/{roll_call.pk}/reopen/").status_code == 404, name
            assert client.post(f"/archives/rollcalls/entries/{entry.pk}/handle/", {"note": "x"}).status_code == 404, name
    entry.refresh_from_db()
    assert entry.handled_at is None


def test_registrar_sees_progress_and_the_work_with_its_links(world, login):
    finished_with_every_outcome(world)
    with frozen(IN_WINDOW):
        client = login(world.user("registrar_a1"))
        response = client.get("/archives/rollcalls/", follow=True)
        page = response.content.decode()
    assert response.redirect_chain[-1][0].startswith(f"/archives/rollcalls/schools/{world.units['a1'].pk}/")
    assert "已完成 <strong>1</strong> 个" in page and "未开始 1 个" in page
    assert "王小虎" in page and "/enrolment/late/" in page  # 补建 starts there
    assert f"/pupils/{world.pupils['a1'].pk}/absences/" in page and "/dropouts/" in page
    assert "陈迁" in page and "刘思远" in page and "榆树市实验小学" in page


def test_registrar_records_what_was_done_and_reopens_a_class(world, login):
    roll_call = finished_with_every_outcome(world)
    entry = roll_call.entries.get(name="王小虎")
    with frozen(IN_WINDOW):
        client = login(world.user("registrar_a1"))
        assert client.post(f"/archives/rollcalls/entries/{entry.pk}/handle/", {"note": "已申请补建"}).status_code == 302
        assert client.post(f"/archives/rollcalls/{roll_call.pk}/reopen/").status_code == 302
    entry.refresh_from_db()
    roll_call.refresh_from_db()
    assert entry.handled_note == "已申请补建" and roll_call.status == "open"


def test_home_school_confirms_its_visiting_pupil(world, login):
    roll_call = finished_with_every_outcome(world)
    visiting = roll_call.entries.get(name="刘思远")
    with frozen(IN_WINDOW):
        client = login(world.user("registrar_b1"))
        page = client.get(f"/archives/rollcalls/schools/{world.units['b1'].pk}/").content.decode()
        assert "本校学生在外校借读：待确认" in page and "农安县实验小学" in page
        response = client.post(f"/archives/rollcalls/entries/{visiting.pk}/handle/", {"note": "借读属实"})
    assert response.status_code == 302 and response["Location"] == f"/archives/rollcalls/schools/{world.units['b1'].pk}/"
    visiting.refresh_from_db()
    assert visiting.handled_by == world.user("registrar_b1")


def test_bureau_sees_its_countys_progress(world, login):
    finished_with_every_outcome(world)
    with frozen(AFTER):
        body = login(world.user("officer_a")).get(f"/archives/rollcalls/?semester={semester(world).pk}").content.decode()
    assert "各校进度" in body and "农安县实验小学" in body and "合隆镇陈家店小学" in body and "榆树市实验小学" not in body
    with frozen(AFTER):
        body = login(world.user("officer_b")).get(f"/archives/rollcalls/?semester={semester(world).pk}").content.decode()
    assert "榆树市实验小学" in body and "农安县实验小学" not in body


def test_home_panels_show_the_audit_to_each_role(world, login):
    semester(world)
    with frozen(IN_WINDOW):
        body = login(world.user("teacher_a1")).get("/").content.decode()
        assert "三年级（1）班学籍核查" in body and "未开始" in body
    finished_with_every_outcome(world)
    with frozen(IN_WINDOW):
        body = login(world.user("registrar_a1")).get("/").content.decode()
        assert "已完成核查的班级" in body and "1 / 2" in body and "在校无学籍，待补建" in body
        body = login(world.user("registrar_b1")).get("/").content.decode()
        assert "在外校借读的本校学生，待确认" in body
        body = login(world.user("officer_a")).get("/").content.decode()
        assert "尚有班级未完成的学校" in body


def test_the_report_prints_the_classes_the_work_and_the_signature_boxes(world, login):
    roll_call = finished_with_every_outcome(world)
    rollcall.rollcall_entry_handle(actor=world.user("registrar_a1"), entry=roll_call.entries.get(name="王小虎"), note="已申请补建")
    with frozen(AFTER):
        url = f"/archives/rollcalls/schools/{world.units['a1'].pk}/report.pdf?semester={semester(world).pk}"
        response = print_through_job(login(world.user("officer_a")), url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert page_count(response.content) == 1
    text = pdf_words(response.content)
    for words in ["学籍核查报告", "农安县实验小学", "2026—2027学年第一学期", "2026-09-01至2026-09-30",
                  "全校2个班，已完成核查1个", "三年级（1）班", "三年级（2）班", "未开始",
                  "在校无学籍（须补建学籍）：1人", "王小虎", "已申请补建",
                  "无故缺席（疑似辍学，已记入缺课记录）：1人", "张小明", "开学未到校",
                  "已随家长迁走未办转学（须跟进转学）：1人", "陈迁",
                  "借读生（学籍在原学校，须原学校确认）：1人", "刘思远", "学籍在榆树市实验小学；点名在校",
                  "有正当理由的缺席：1人", "陈病", "病假",
                  "学籍管理员签字", "校长签字", "学校盖章", "打印：用户"]:
        assert words in text, words
    entry = AuditEntry.objects.get(action="document.print")
    assert entry.user == world.user("officer_a") and "学籍核查报告" in entry.detail
    # The footer's verification code finds what was printed.
    record = PrintedDocument.objects.get(kind="rollcall_report")
    assert record.display_code in text and record.display_code in entry.detail
    assert record.unit == world.units["a1"] and record.printed_by == world.user("officer_a")


def test_the_head_teacher_cannot_print_the_schools_report(world, login):
    semester(world)
    with frozen(IN_WINDOW):
        assert login(world.user("teacher_a1")).get(f"/archives/rollcalls/schools/{world.units['a1'].pk}/report.pdf").status_code == 404
    assert not AuditEntry.objects.filter(action="document.print").exists()


@pytest.mark.parametrize("started", [True, False], ids=["started", "not_started"])
def test_after_the_window_the_class_page_says_it_cannot_be_called(world, login, started):
    semester(world)
    if started:
        mark_all(world, open_call(world))
    with frozen(AFTER):
        page = login(world.user("teacher_a1")).get(class_url(world)).content.decode()
    assert ("核查期已结束，不能再修改或提交" if started else "本班本学期未进行学籍核查，核查期已结束") in page
    assert "提交核查结果" not in page and RollCallEntry.objects.count() == (1 if started else 0)
