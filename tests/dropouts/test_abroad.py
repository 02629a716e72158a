"""A pupil who left for abroad without applying is a dropout case with that ground (学生出境但未向原
就读学校提出申请的，学校按照辍学处理), with the country and the day of leaving when the school knows."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from dropouts import services
from dropouts.models import DropoutCase
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil

TODAY = date(2025, 10, 9)
NOW = datetime(2025, 10, 9, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def confirm_abroad(world, **details):
    return services.confirm_dropout(actor=world.user("registrar_a1"), pupil=world.pupils["a1_other"],
                                    contacts_tried="邻居称全家已出境", ground=DropoutCase.Ground.ABROAD, **details)


def test_abroad_needs_no_absences_and_records_country_and_day(world):
    case = confirm_abroad(world, country="JPN", left_on=date(2025, 9, 1))
    case.refresh_from_db()
    assert (case.ground, case.country, case.left_on) == ("abroad", "JPN", date(2025, 9, 1))
    assert Pupil.objects.get(pk=world.pupils["a1_other"].pk).status == PupilStatus.DROPPED_OUT


def test_abroad_without_a_known_country_or_day_is_still_a_dropout(world):
    case = confirm_abroad(world)
    assert (case.country, case.left_on) == ("", None)


@pytest.mark.parametrize("details,field", [
    ({"country": "CHN"}, "country"),  # leaving for abroad means leaving China
    ({"country": "ZZZ"}, "country"),  # not a GB/T 2659 code
    ({"left_on": date(2025, 10, 10)}, "left_on"),  # after the day of confirming
])
def test_abroad_details_are_checked(world, details, field):
    with pytest.raises(ValidationError) as error:
        confirm_abroad(world, **details)
    assert field in error.value.message_dict
    assert not DropoutCase.objects.exists()
    assert Pupil.objects.get(pk=world.pupils["a1_other"].pk).status == PupilStatus.ENROLLED


@pytest.mark.parametrize("details", [{"country": "KOR"}, {"left_on": date(2025, 9, 1)}])
def test_country_and_day_belong_to_the_abroad_ground_only(world, details):
    with pytest.raises(ValidationError) as error:
        services.confirm_dropout(actor=world.user("registrar_a1"), pupil=world.pupils["a1_other"], contacts_tried="电话",
                                 ground=DropoutCase.Ground.OTHER, ground_note="随父母外出务工", **details)
    assert set(details) <= set(error.value.message_dict)
    assert not DropoutCase.objects.exists()


def test_the_registrar_chooses_abroad_on_the_confirm_page(world, login):
    client = login(world.user("registrar_a1"))
    page = client.get(f"/pupils/{world.pupils['a1_other'].pk}/dropout/").content.decode()
    assert "出境未向学校申请" in page and "前往国家（地区）" in page and "出境日期" in page
    assert '<option value="KOR">' in page and '<option value="CHN">' not in page
    response = client.post(f"/pupils/{world.pupils['a1_other'].pk}/dropout/", {
        "ground": "abroad", "country": "KOR", "left_on": "2025-09-20", "contacts_tried": "电话停机，邻居称已出境",
    })
    case = DropoutCase.objects.get()
    assert response["Location"] == f"/dropouts/cases/{case.pk}/"
    assert (case.ground, case.country, case.left_on) == ("abroad", "KOR", date(2025, 9, 20))
    body = client.get(f"/dropouts/cases/{case.pk}/").content.decode()
    assert "出境未向学校申请" in body and "前往大韩民国" in body and "2025-09-20出境" in body


def test_the_confirm_page_explains_a_country_with_another_ground(world, login):
    client = login(world.user("registrar_a1"))
    response = client.post(f"/pupils/{world.pupils['a1_other'].pk}/dropout/", {
        "ground": "other", "ground_note": "外出务工", "country": "KOR", "contacts_tried": "电话",
    })
    assert response.status_code == 200
    assert "只有“出境未向学校申请”的情形填写前往国家（地区）" in response.content.decode()
    assert not DropoutCase.objects.exists()


def test_the_notice_names_the_abroad_ground(world, login, tmp_path):
    import subprocess

    from dropouts.models import CaseStep

    case = confirm_abroad(world, country="KOR")
    services.add_step(actor=world.user("registrar_a1"), case=case, kind=CaseStep.Kind.NOTICE, day=TODAY,
                      deadline=date(2025, 10, 20))
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(login(world.user("registrar_a1")).get(f"/dropouts/cases/{case.pk}/notice.pdf").content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "出境未向学校办理手续" in text and "李晓燕" in text
