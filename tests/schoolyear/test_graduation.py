"""毕业: only enrolled pupils of the graduating grade graduate (with their status history); the
suspended, dropped out and abroad are listed; pending requests of the grade block it until they
are withdrawn or finished; the countdown to the bureau's clearing date; who may do it."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from schoolyear import services
from schoolyear.models import Graduate, Graduation
from tests.document_jobs import print_through_job
from tests.factories import SchoolClassFactory, make_pupil
from tests.pdfs import pdf_words
from tests.schoolyear.conftest import at, pending_suspension
from xueji.accounts.models import AuditEntry, BureauSettings
from xueji.accounts.permissions import NotAllowed
from xueji.approvals.services import request_decide, request_withdraw
from xueji.codes import PupilStatus
from xueji.documents.models import PrintedDocument
from xueji.pupils.models import Pupil, StatusChange

JULY_20 = date(2027, 7, 20)


def graduate(world, username="registrar_a1", school="a1", day=JULY_20, **kwargs):
    with at(day):
        return services.graduation_perform(actor=world.user(username), school=world.units[school], **kwargs)


def statuses(world) -> dict[str, str]:
    return {name: Pupil.objects.get(pk=p.pk).status for name, p in world.grade6.items()}


def test_only_enrolled_pupils_graduate_with_their_status_history(sixth_grade):
    world = sixth_grade
    graduation = graduate(world)

    assert statuses(world) == {
        "毕业甲": PupilStatus.GRADUATED, "毕业乙": PupilStatus.GRADUATED, "毕业丙": PupilStatus.GRADUATED,
        "休学丁": PupilStatus.SUSPENDED, "辍学戊": PupilStatus.DROPPED_OUT, "出国己": PupilStatus.ABROAD,
        "b1": PupilStatus.ENROLLED,  # another school's grade is not touched
    }
    assert graduation.count == 3 and graduation.graduated_on == JULY_20 and not graduation.late
    step = StatusChange.objects.get(pupil=world.grade6["毕业甲"], to_status=PupilStatus.GRADUATED)
    assert (step.from_status, step.effective_date, step.changed_by) == (PupilStatus.ENROLLED, JULY_20, world.user("registrar_a1"))
    assert "小学毕业" in step.reason
    assert set(Graduate.objects.values_list("pupil__name", flat=True)) == {"毕业甲", "毕业乙", "毕业丙"}
    # The grade keeps its number: a primary graduate enters grade 7 with the record it has.
    assert Pupil.objects.get(pk=world.grade6["毕业甲"].pk).grade == 6
    # The third-graders of the world are not the graduating grade.
    assert Pupil.objects.get(pk=world.pupils["a1"].pk).status == PupilStatus.ENROLLED


def test_suspended_dropped_out_and_abroad_are_listed_not_graduated(sixth_grade, login):
    world = sixth_grade
    graduation = graduate(world)
    listed = {item["name"]: item["status"] for item in graduation.not_graduated}
    assert listed == {"休学丁": "suspended", "辍学戊": "dropped_out", "出国己": "abroad"}

    with at(JULY_20):
        text = login(world.user("registrar_a1")).get(f"/schoolyear/graduation/{world.units['a1'].pk}/").content.decode()
    section = text.split("不办理毕业的学生")[1].split("已办理毕业")[0]
    for name, label in (("休学丁", "休学"), ("辍学戊", "辍学"), ("出国己", "出国")):
        assert name in section and label in section
    assert "毕业甲" not in section


def test_a_pending_request_of_the_grade_blocks_graduation_with_the_reason(sixth_grade):
    world = sixth_grade
    request = pending_suspension(world, world.grade6["毕业乙"])

    with pytest.raises(ValidationError) as refused:
        graduate(world)
    message = refused.value.messages[0]
    assert refused.value.code == "pending_requests"
    assert "毕业乙" in message and f"#{request.pk}" in message and "2027-07-15" in message
    assert statuses(world)["毕业甲"] == PupilStatus.ENROLLED and not Graduation.objects.exists()

    # Withdrawn: graduation goes ahead.
    request_withdraw(actor=world.user("registrar_a1"), request_id=request.pk)
    assert graduate(world).count == 3


def test_a_finished_request_no_longer_blocks(sixth_grade):
    world = sixth_grade
    request = pending_suspension(world, world.grade6["毕业乙"])
    request_decide(actor=world.user("headmaster_a1"), request_id=request.pk, approve=False, comment="毕业年级不休学")
    graduation = graduate(world)
    assert graduation.count == 3


def test_a_pending_request_of_a_listed_pupil_blocks_too(sixth_grade):
    """A suspended sixth-grader's open request (a resumption, say) decides whether they graduate."""
    world = sixth_grade
    pending_suspension(world, world.grade6["休学丁"])
    with pytest.raises(ValidationError, match="休学丁"):
        graduate(world)


def test_graduation_page_refuses_with_the_reason(sixth_grade, login):
    world = sixth_grade
    request = pending_suspension(world, world.grade6["毕业甲"])
    school = world.units["a1"].pk
    with at(JULY_20):
        client = login(world.user("registrar_a1"))
        page = client.get(f"/schoolyear/graduation/{school}/").content.decode()
        assert f"/requests/{request.pk}/" in page and "须在 2027-07-15 前撤回或办结" in page
        response = client.post(f"/schoolyear/graduation/{school}/confirm/", {"expected": 3, "checked": "on"}, follow=True)
    assert "未办结" in response.content.decode()
    assert statuses(world)["毕业丙"] == PupilStatus.ENROLLED


def test_graduation_through_the_confirm_step(sixth_grade, login):
    world = sixth_grade
    school = world.units["a1"].pk
    with at(JULY_20):
        client = login(world.user("registrar_a1"))
        confirm = client.get(f"/schoolyear/graduation/{school}/confirm/").content.decode()
        assert "确认办理毕业（3 人）" in confirm and "出国己" in confirm
        # Not ticked: nothing happens.
        client.post(f"/schoolyear/graduation/{school}/confirm/", {"expected": 3})
        assert not Graduation.objects.exists()
        response = client.post(f"/schoolyear/graduation/{school}/confirm/", {"expected": 3, "checked": "on"}, follow=True)
    text = response.content.decode()
    assert "已为 3 名学生办理毕业" in text and "已办理毕业（3 人）" in text
    assert statuses(world)["毕业甲"] == PupilStatus.GRADUATED


def test_a_changed_list_is_refused(sixth_grade):
    world = sixth_grade
    with pytest.raises(ValidationError, match="名单已变化"):
        graduate(world, expected_count=4)
    assert not Graduation.objects.exists()


def test_graduation_opens_on_1_july_and_is_marked_late_after_the_deadline(sixth_grade):
    world = sixth_grade
    with pytest.raises(ValidationError, match="2027-07-01 至 2027-07-31"):
        graduate(world, day=date(2027, 6, 30))
    graduation = graduate(world, day=date(2027, 8, 2))
    assert graduation.late and graduation.count == 3


def test_the_deadline_is_the_bureaus_setting(sixth_grade):
    world = sixth_grade
    BureauSettings.objects.create(bureau=world.units["county_a"], graduation_deadline="07-25")
    assert graduate(world, day=date(2027, 7, 26)).late


def test_the_opening_day_is_the_bureaus_setting(sixth_grade):
    world = sixth_grade
    BureauSettings.objects.create(bureau=world.units["county_a"], graduation_opens="06-25")
    with pytest.raises(ValidationError, match="2027-06-25 至 2027-07-31"):
        graduate(world, day=date(2027, 6, 24))
    assert graduate(world, day=date(2027, 6, 26)).count == 3


def test_nobody_graduates_twice(sixth_grade):
    world = sixth_grade
    graduate(world)
    with pytest.raises(ValidationError, match="没有需要办理毕业"):
        graduate(world)
    assert Graduate.objects.count() == 3


def test_a_junior_school_graduates_its_ninth_grade(world):
    school_class = SchoolClassFactory(school=world.units["a2"], grade=9, number=1)
    ninth = make_pupil(world.units["a2"], school_class, name="初三学生")
    graduation = graduate(world, username="registrar_a2", school="a2")
    assert graduation.grade == 9 and graduation.count == 1
    assert Pupil.objects.get(pk=ninth.pk).status == PupilStatus.GRADUATED
    assert Pupil.objects.get(pk=world.pupils["a2"].pk).status == PupilStatus.ENROLLED  # eighth grade


def test_only_the_schools_registrar_graduates(sixth_grade, client, login):
    world = sixth_grade
    for username in ("headmaster_a1", "officer_a", "registrar_b1"):
        with pytest.raises(NotAllowed, match="只有本校学籍管理员"):
            graduate(world, username=username)
    school = world.units["a1"].pk
    expected = {"headmaster_a1": 403, "officer_a": 403, "teacher_a1": 403, "registrar_a2": 404, "registrar_b1": 404,
                "officer_b": 404}
    for username, status in expected.items():
        client.logout()
        with at(JULY_20):
            login(world.user(username))
            assert client.post(f"/schoolyear/graduation/{school}/confirm/", {"expected": 3, "checked": "on"}).status_code == status
    assert not Graduation.objects.exists()


# The countdown -------------------------------------------------------------------------------

def test_countdown_shows_what_blocks_each_school_and_the_days_left(sixth_grade, login):
    world = sixth_grade
    request = pending_suspension(world, world.grade6["毕业甲"])
    other = pending_suspension(world, world.grade6["b1"], school_key="b1", registrar="registrar_b1")
    with at(date(2027, 7, 10)):
        text = login(world.user("officer_a")).get("/schoolyear/graduation/").content.decode()
    assert world.units["a1"].name in text and world.units["a2"].name in text
    assert f"/requests/{request.pk}/" in text and "毕业甲" in text
    assert "还剩 <strong>5</strong> 天" in text  # to 15 July
    assert "有待办业务，不能办理毕业" in text
    # County B's school and its request are not county A's business.
    assert world.units["b1"].name not in text and f"/requests/{other.pk}/" not in text

    with at(date(2027, 7, 17)):
        text = login(world.user("officer_a")).get("/schoolyear/graduation/").content.decode()
    assert "已过 2 天" in text
    with at(date(2027, 7, 15)):
        assert "今天截止" in login(world.user("officer_a")).get("/schoolyear/graduation/").content.decode()


def test_countdown_follows_the_bureaus_clearing_date(sixth_grade, api_as):
    world = sixth_grade
    BureauSettings.objects.create(bureau=world.units["county_a"], graduating_clear_date="07-12")
    pending_suspension(world, world.grade6["毕业甲"])
    with at(date(2027, 7, 10)):
        rows = {row["school_name"]: row for row in api_as("officer_a").get("/api/v1/graduation/").json()}
    a1 = rows[world.units["a1"].name]
    assert (a1["days_to_clear"], a1["summer"]["clear_by"], a1["blocked"]) == (2, "2027-07-12", True)
    assert [p["pupil_name"] for p in a1["pending"]] == ["毕业甲"]
    assert a1["to_graduate"] == 3 and a1["not_graduating"] == {"suspended": 1, "dropped_out": 1, "abroad": 1, "enrolled": 3}


def test_a_school_sees_its_own_countdown_only(sixth_grade, login, client):
    world = sixth_grade
    with at(date(2027, 7, 10)):
        login(world.user("registrar_b1"))
        text = client.get("/schoolyear/graduation/").content.decode()
    assert world.units["b1"].name in text and world.units["a1"].name not in text
    client.logout()
    login(world.user("teacher_a1"))
    assert client.get("/schoolyear/graduation/").status_code == 403


def test_graduation_api(sixth_grade, api_as):
    world = sixth_grade
    school = world.units["a1"].pk
    with at(JULY_20):
        state = api_as("registrar_a1").get(f"/api/v1/graduation/{school}/").json()
        assert state["may_graduate"] and len(state["enrolled"]) == 3
        assert {p["name"]: p["status"] for p in state["not_graduating"]} == {
            "休学丁": "suspended", "辍学戊": "dropped_out", "出国己": "abroad"}
        assert api_as("headmaster_a1").post(f"/api/v1/graduation/{school}/graduate/", {}).status_code == 403
        assert api_as("registrar_b1").post(f"/api/v1/graduation/{school}/graduate/", {}).status_code == 404
        refused = api_as("registrar_a1").post(f"/api/v1/graduation/{school}/graduate/", {"expected_count": 2}, format="json")
        assert refused.status_code == 400 and "名单已变化" in str(refused.json())
        done = api_as("registrar_a1").post(f"/api/v1/graduation/{school}/graduate/", {"expected_count": 3}, format="json")
    assert done.status_code == 201 and done.json()["count"] == 3


def test_the_home_page_counts_down_in_the_summer(sixth_grade, login, client):
    world = sixth_grade
    pending_suspension(world, world.grade6["毕业甲"])
    with at(date(2027, 7, 10)):
        text = login(world.user("officer_a")).get("/").content.decode()
    assert "毕业和升级" in text and "毕业年级未办结的申请" in text and "还剩 5 天" in text and "2027-08-10" in text
    client.logout()
    with at(date(2027, 3, 10)):  # not in the summer
        assert "毕业和升级" not in login(world.user("officer_a")).get("/").content.decode()


def test_the_graduates_list_prints_for_the_headmaster_before_and_with_the_graduates_after(sixth_grade, login):
    world = sixth_grade
    url = f"/schoolyear/graduation/{world.units['a1'].pk}/graduates.pdf"
    with at(JULY_20):
        client = login(world.user("registrar_a1"))
        assert "打印毕业生名册（核对稿，供校长签字）" in client.get(f"/schoolyear/graduation/{world.units['a1'].pk}/").content.decode()
        draft = print_through_job(client, url)
    text = pdf_words(draft.content)
    assert draft["Content-Type"] == "application/pdf"
    assert "毕业生名册（核对稿）" in text and "请校长核对名单并签字" in text
    for name in ("毕业甲", "毕业乙", "毕业丙", "休学丁", "辍学戊", "出国己"):
        assert name in text, name
    assert "不办理毕业的学生（3人" in text and "校长签字" in text and "学校盖章" in text
    assert world.grade6["毕业甲"].student_number in text  # the school sees numbers in full
    record = PrintedDocument.objects.get(kind="graduate_list")
    assert record.display_code in text and record.pupil_count == 3 and "核对稿" in record.title

    graduate(world)
    with at(JULY_20):
        after = pdf_words(print_through_job(client, url).content)
    assert "核对稿" not in after and "毕业日期：2027-07-20" in after and "毕业人数：3" in after
    assert AuditEntry.objects.filter(action="document.print", user=world.user("registrar_a1")).count() == 2


def test_the_graduates_list_is_masked_for_a_city_and_closed_to_other_schools(sixth_grade, login, client):
    world = sixth_grade
    url = f"/schoolyear/graduation/{world.units['a1'].pk}/graduates.pdf"
    with at(JULY_20):
        text = pdf_words(print_through_job(login(world.user("city_officer")), url).content)
        assert "毕业甲" in text and world.grade6["毕业甲"].student_number not in text
        client.logout()
        assert login(world.user("registrar_b1")).post(url).status_code == 404


def test_the_graduation_and_certificate_pages_mask_numbers_for_a_city(sixth_grade, login, client):
    world = sixth_grade
    graduate(world)
    number = world.grade6["毕业甲"].student_number
    school = world.units["a1"].pk
    with at(JULY_20):
        for username, shown in (("registrar_a1", True), ("officer_a", True), ("city_officer", False)):
            client.logout()
            login(world.user(username))
            for url in (f"/schoolyear/graduation/{school}/", f"/schoolyear/certificates/{school}/2026/"):
                page = client.get(url).content.decode()
                assert "毕业甲" in page and (number in page) == shown, (username, url)
                assert ("休学丁" in page) or "certificates" in url
