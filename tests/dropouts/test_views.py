"""The pages of dropouts/: who gets what, and that a refused user changes nothing."""

import subprocess
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dropouts import services
from dropouts.models import Absence, CaseStep, DropoutCase
from tests.dropouts.helpers import absent_days, log_absences
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil

TODAY = date(2025, 10, 9)
NOW = datetime(2025, 10, 9, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def case(world, frozen):
    pupil = world.pupils["a1"]
    log_absences(world.user("teacher_a1"), pupil, absent_days(TODAY, 10))
    return services.confirm_dropout(actor=world.user("registrar_a1"), pupil=pupil, contacts_tried="电话三次")


def test_head_teacher_records_an_absence(world, frozen, login):
    client = login(world.user("teacher_a1"))
    response = client.post(f"/pupils/{world.pupils['a1'].pk}/absences/", {"day": "2025-10-09"})
    assert response.status_code == 302
    assert Absence.objects.filter(pupil=world.pupils["a1"], day=TODAY, explained=False).exists()


@pytest.mark.parametrize("user,expected", [("registrar_b1", 404), ("officer_b", 404), ("headmaster_a1", 403)])
def test_absence_refused_to_others(world, frozen, login, user, expected):
    client = login(world.user(user))
    response = client.post(f"/pupils/{world.pupils['a1'].pk}/absences/", {"day": "2025-10-09"})
    assert response.status_code == expected
    assert not Absence.objects.exists()


def test_school_list_shows_suspects_then_the_case(world, frozen, login):
    log_absences(world.user("teacher_a1"), world.pupils["a1"], absent_days(TODAY, 10))
    client = login(world.user("headmaster_a1"))
    assert "张小明" in client.get("/dropouts/").content.decode()
    login(world.user("registrar_a1"))
    response = client.post(f"/pupils/{world.pupils['a1'].pk}/dropout/", {"ground": "absence", "contacts_tried": "电话三次"})
    case = DropoutCase.objects.get()
    assert response["Location"] == f"/dropouts/cases/{case.pk}/"
    assert f"/dropouts/cases/{case.pk}/" in client.get("/dropouts/").content.decode()


@pytest.mark.parametrize("user,expected", [("registrar_b1", 404), ("officer_a", 403), ("headmaster_a1", 403)])
def test_confirm_refused_to_others(world, frozen, login, user, expected):
    log_absences(world.user("teacher_a1"), world.pupils["a1"], absent_days(TODAY, 10))
    client = login(world.user(user))
    response = client.post(f"/pupils/{world.pupils['a1'].pk}/dropout/", {"ground": "absence", "contacts_tried": "电话"})
    assert response.status_code == expected
    assert not DropoutCase.objects.exists()
    assert Pupil.objects.get(pk=world.pupils["a1"].pk).status == PupilStatus.ENROLLED


def test_step_added_from_the_case_page(world, case, login):
    client = login(world.user("headmaster_a1"))
    response = client.post(f"/dropouts/cases/{case.pk}/steps/", {
        "kind": "home_visit", "day": "2025-10-09", "visitors": "校长", "outcome": "家长同意返校",
    })
    assert response.status_code == 302
    assert "家长同意返校" in client.get(f"/dropouts/cases/{case.pk}/").content.decode()


@pytest.mark.parametrize("user,expected", [("registrar_b1", 404), ("officer_b", 404), ("officer_a", 403)])
def test_steps_refused_to_others(world, case, login, user, expected):
    client = login(world.user(user))
    response = client.post(f"/dropouts/cases/{case.pk}/steps/", {
        "kind": "home_visit", "day": "2025-10-09", "visitors": "某人", "outcome": "某结果",
    })
    assert response.status_code == expected
    assert case.steps.count() == 1


def test_return_from_the_case_page(world, case, login):
    client = login(world.user("registrar_a1"))
    response = client.post(f"/dropouts/cases/{case.pk}/return/", {"school_class": world.classes["a1_3_1"].pk})
    assert response.status_code == 302
    assert Pupil.objects.get(pk=case.pupil_id).status == PupilStatus.ENROLLED


def test_return_refused_to_another_county(world, case, login):
    client = login(world.user("officer_b"))
    assert client.post(f"/dropouts/cases/{case.pk}/return/", {"school_class": world.classes["b1_3_1"].pk}).status_code == 404
    assert Pupil.objects.get(pk=case.pupil_id).status == PupilStatus.DROPPED_OUT


def test_notice_pdf_names_the_pupil(world, case, login, tmp_path):
    services.add_step(actor=world.user("registrar_a1"), case=case, kind=CaseStep.Kind.NOTICE, day=TODAY,
                      deadline=date(2025, 10, 20))
    client = login(world.user("registrar_a1"))
    response = client.get(f"/dropouts/cases/{case.pk}/notice.pdf")
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "劝返复学通知书" in text and "张小明" in text and "2025年10月20日" in text
    assert login(world.user("officer_b")).get(f"/dropouts/cases/{case.pk}/notice.pdf").status_code == 404


def test_bureau_page_highlights_stalled_cases(world, case, login):
    client = login(world.user("officer_a"))
    body = client.get("/dropouts/bureau/").content.decode()
    assert "张小明" in body and "stalled" not in body
    with time_machine.travel(datetime(2025, 10, 24, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        # Ten working days after the report (the session of the 9th has expired by then).
        body = login(world.user("officer_a")).get("/dropouts/bureau/").content.decode()
    assert "stalled" in body and "超过10个工作日" in body
    assert "张小明" not in login(world.user("officer_b")).get("/dropouts/bureau/").content.decode()
    assert login(world.user("registrar_a1")).get("/dropouts/bureau/").status_code == 403


def test_pupil_page_offers_the_actions(world, frozen):
    from xueji.pupils.actions import pupil_actions

    pupil = Pupil.objects.select_related("school_class").get(pk=world.pupils["a1"].pk)
    labels = [label for label, _ in pupil_actions(world.user("registrar_a1"), pupil)]
    assert "记录缺课" in labels and "确认辍学" in labels
    labels = [label for label, _ in pupil_actions(world.user("teacher_a1"), pupil)]
    assert "记录缺课" in labels and "确认辍学" not in labels
