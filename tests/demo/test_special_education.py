"""Special education on the demo data, as the demo's people would try it: 农安县实验小学's list
filtered to the pupils taught at home (送教上门), the county's statistics counting them, and the
third-grader with a hearing disability moved down a grade (降级) through the registrar's form, the
headmaster and the bureau."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from demo.special_education import special_pupils
from tests.demo.signin import demo_login
from xueji.accounts.models import User
from xueji.approvals.models import ChangeRequest
from xueji.approvals.services import request_decide
from xueji.codes import DisabilityPlacement
from xueji.pupils.models import SchoolClass

LOADED = datetime(2026, 12, 4, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.mark.django_db
def test_home_taught_pupils_and_a_grade_down_on_the_demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    with time_machine.travel(LOADED, tick=True):
        call_command("load_demo")
        pupils = special_pupils()
        assert [(p.grade, p.disability_placement) for p in pupils] == [
            (3, DisabilityPlacement.REGULAR_CLASS), (4, DisabilityPlacement.HOME_TEACHING)]
        hearing, home = pupils
        registrar = demo_login("registrar_a1")
        listed = registrar.get("/pupils/?disability_placement=2").content.decode()
        assert "共 1 名学生" in listed and home.name in listed and "（送教上门）" in listed
        stats = demo_login("officer_a").get("/api/v1/statistics/").json()
        assert stats["total"]["placement_2"] == 1

        assert f"/pupils/{hearing.pk}/grade-down/new/" in registrar.get(f"/pupils/{hearing.pk}/").content.decode()
        target = SchoolClass.objects.filter(school=hearing.school, grade=2,
                                            school_year=hearing.school_class.school_year).order_by("number").first()
        response = registrar.post(f"/pupils/{hearing.pk}/grade-down/new/", {
            "target_class": target.pk, "reason": "听力障碍，跟不上三年级的课程（演示）",
            "guardian_files": [SimpleUploadedFile("监护人申请.pdf", PDF, content_type="application/pdf")],
            "proof_files": [SimpleUploadedFile("残疾证.pdf", PDF, content_type="application/pdf")],
        })
        assert response.status_code == 302, response.content.decode()[:2000]
        request = ChangeRequest.objects.get(kind="grade_down")
        for username in ("headmaster_a1", "officer_a"):
            request_decide(actor=User.objects.get(username=username), request_id=request.pk, approve=True)
    hearing.refresh_from_db()
    assert (hearing.grade, hearing.school_class_id) == (2, target.pk)
