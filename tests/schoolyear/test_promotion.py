"""升级: on the bureau's promotion date every enrolled pupil below the graduating grade moves up one
grade into next year's classes (the registrar's mapping, else the same number, created if
missing); nobody is kept back; the run is idempotent, resumable after a crash, and reported."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from schoolyear import services
from schoolyear.models import PromotionRun, PromotionSchool
from tests.factories import SchoolClassFactory, SchoolYearFactory, make_pupil
from tests.schoolyear.conftest import at, with_status
from xueji.accounts.models import BureauSettings
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil, SchoolClass
from xueji.pupils.models.pupils import PupilEvent

AUGUST_10 = date(2027, 8, 10)


def promote(day=AUGUST_10):
    with at(day):
        return {run.bureau.name: run for run in services.promotion_daily()}


def fresh(pupil) -> Pupil:
    return Pupil.objects.select_related("school_class__school_year").get(pk=pupil.pk)


def next_year_class(world, school: str, grade: int, number: int) -> SchoolClass:
    return SchoolClassFactory(school=world.units[school], school_year=SchoolYearFactory(
        start_year=2027, start_date=date(2027, 9, 1), end_date=date(2028, 8, 31)), grade=grade, number=number)


def test_pupils_move_up_a_grade_into_next_years_class_of_the_same_number(world):
    runs = promote()

    a1, a1_other, a2 = fresh(world.pupils["a1"]), fresh(world.pupils["a1_other"]), fresh(world.pupils["a2"])
    assert (a1.grade, a1.school_class.grade, a1.school_class.number, a1.school_class.school_year.start_year) == (4, 4, 1, 2027)
    assert (a1_other.grade, a1_other.school_class.number) == (4, 2)
    assert (a2.grade, a2.school_class.grade, a2.school_class.school_year.start_year) == (9, 9, 2027)
    assert a1.status == PupilStatus.ENROLLED
    # Last year's classes stay as they were, empty now.
    assert not Pupil.objects.filter(school_class=world.classes["a1_3_1"]).exists()
    run = runs["农安县教育局"]
    assert (run.status, run.trigger, run.promoted, run.schools_done, run.schools_total) == ("done", "schedule", 4, 3, 3)
    a1_row = PromotionSchool.objects.get(school=world.units["a1"], year=2027)
    assert (a1_row.promoted, a1_row.classes_created, a1_row.by_grade, a1_row.mapped) == (2, 2, {"3": 2}, 0)
    assert runs["榆树市教育局"].promoted == 1


def test_a_mapped_class_goes_where_the_registrar_chose(world):
    target = next_year_class(world, "a1", 4, 5)
    with at(date(2027, 7, 1)):
        services.class_mappings_set(actor=world.user("registrar_a1"), school=world.units["a1"], start_year=2026,
                                    targets={world.classes["a1_3_1"].pk: target.pk})
    promote()
    assert fresh(world.pupils["a1"]).school_class == target
    assert fresh(world.pupils["a1_other"]).school_class.number == 2  # unmapped: the same number
    row = PromotionSchool.objects.get(school=world.units["a1"])
    assert (row.mapped, row.classes_created) == (1, 1)


def test_a_mapping_must_go_one_grade_up_no_repeating(world):
    same_grade = next_year_class(world, "a1", 3, 1)
    two_up = next_year_class(world, "a1", 5, 1)
    for target in (same_grade, two_up):
        with pytest.raises(ValidationError, match="只能升入明年的四年级班级"):
            services.class_mappings_set(actor=world.user("registrar_a1"), school=world.units["a1"], start_year=2026,
                                        targets={world.classes["a1_3_1"].pk: target.pk})


def test_the_second_run_changes_nothing(world):
    first = promote()["农安县教育局"]
    events = PupilEvent.objects.count()
    grades = dict(Pupil.objects.values_list("pk", "grade"))
    classes = SchoolClass.objects.count()

    again = services.promotion_run_execute(run_id=first.pk)  # a rerun of the same run
    promote()  # and the daily job again the same day
    promote(date(2027, 8, 11))  # and the day after

    assert again.status == "done" and again.promoted == first.promoted and again.attempts == 2
    assert PupilEvent.objects.count() == events
    assert dict(Pupil.objects.values_list("pk", "grade")) == grades
    assert SchoolClass.objects.count() == classes
    assert PromotionSchool.objects.count() == 5


def test_a_failed_school_is_left_for_the_rerun_the_done_stay_done(world, monkeypatch):
    real = services.promotion_school_promote

    def failing(*, run, school, **kwargs):
        if school == world.units["a2"]:
            raise RuntimeError("磁盘已满")
        return real(run=run, school=school, **kwargs)

    monkeypatch.setattr(services, "promotion_school_promote", failing)
    run = promote()["农安县教育局"]
    assert run.status == "failed" and run.schools_done == 2 and "磁盘已满" in run.errors[str(world.units["a2"].pk)]
    assert fresh(world.pupils["a1"]).grade == 4 and fresh(world.pupils["a2"]).grade == 8
    assert run.finished_at is None

    monkeypatch.setattr(services, "promotion_school_promote", real)
    run = promote(date(2027, 8, 11))["农安县教育局"]  # the daily job resumes it the next day
    assert (run.status, run.schools_done, run.errors, run.attempts) == ("done", 3, {}, 2)
    assert fresh(world.pupils["a2"]).grade == 9
    assert fresh(world.pupils["a1"]).grade == 4  # not promoted twice


class Crash(BaseException):
    """The worker process dying mid-run (nothing catches it)."""


def test_a_run_resumes_after_a_crash_mid_run(world, monkeypatch):
    real = services.promotion_school_promote
    calls = []

    def crashing(*, run, school, **kwargs):
        calls.append(school.pk)
        if len(calls) == 2:
            raise Crash
        return real(run=run, school=school, **kwargs)

    monkeypatch.setattr(services, "promotion_school_promote", crashing)
    with at(AUGUST_10), pytest.raises(Crash):
        services.promotion_daily()
    run = PromotionRun.objects.get(bureau=world.units["county_a"])
    assert run.status == "running"
    first_school = calls[0]
    assert PromotionSchool.objects.filter(school_id=first_school).exists()
    assert PromotionSchool.objects.filter(year=2027).count() == 1

    monkeypatch.setattr(services, "promotion_school_promote", real)
    # While its worker may still be alive (its heartbeat is recent), the run is left to it.
    assert services.promotion_run_execute(run_id=run.pk).status == "running"
    assert PromotionSchool.objects.filter(year=2027).count() == 1
    # Its heartbeat stopped: the next attempt takes it over and resumes it.
    PromotionRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    run = services.promotion_run_execute(run_id=run.pk)
    assert (run.status, run.schools_done, run.restarts) == ("done", 3, 1)
    assert [fresh(world.pupils[k]).grade for k in ("a1", "a1_other", "a2", "a3")] == [4, 4, 9, 4]


def test_the_graduating_grade_is_not_promoted(world):
    sixth = make_pupil(world.units["a1"], SchoolClassFactory(school=world.units["a1"], grade=6, number=1), name="六年级生")
    ninth = make_pupil(world.units["a2"], SchoolClassFactory(school=world.units["a2"], grade=9, number=1), name="九年级生")
    promote()
    assert fresh(sixth).grade == 6 and fresh(ninth).grade == 9
    assert fresh(sixth).school_class.school_year.start_year == 2026
    assert PromotionSchool.objects.get(school=world.units["a1"]).graduating_left == 1
    assert PromotionSchool.objects.get(school=world.units["a2"]).graduating_left == 1


def test_a_nine_year_schools_sixth_grade_moves_up(world):
    school = world.units["a1"]
    school.school_type = "nine_year"
    school.save()
    sixth = make_pupil(school, SchoolClassFactory(school=school, grade=6, number=1), name="六年级生")
    promote()
    assert fresh(sixth).grade == 7 and fresh(sixth).school_class.grade == 7


@pytest.mark.parametrize("status", [PupilStatus.SUSPENDED, PupilStatus.DROPPED_OUT, PupilStatus.ABROAD,
                                    PupilStatus.GRADUATED, PupilStatus.TRANSFERRED_OUT])
def test_pupils_not_enrolled_are_not_promoted(world, status):
    with_status(world.pupils["a1_other"], status)
    promote()
    pupil = fresh(world.pupils["a1_other"])
    assert (pupil.grade, pupil.school_class) == (3, world.classes["a1_3_2"])
    assert fresh(world.pupils["a1"]).grade == 4


def test_a_pupil_without_a_class_moves_up_a_grade(world):
    classless = make_pupil(world.units["a1"], grade=2, name="未分班生")
    promote()
    assert (fresh(classless).grade, fresh(classless).school_class) == (3, None)
    assert PromotionSchool.objects.get(school=world.units["a1"]).without_class == 1


def test_promotion_writes_the_field_history(world):
    promote()
    pupil = world.pupils["a1"]
    last = pupil.events.order_by("-pgh_id").select_related("pgh_context").first()
    assert (last.grade, last.school_class_id) == (4, fresh(pupil).school_class_id)
    assert "升级" in last.pgh_context.metadata["reason"]


def test_the_daily_job_acts_only_on_the_promotion_date(world):
    assert promote(date(2027, 8, 9)) == {}
    assert promote(date(2027, 7, 10)) == {}
    assert fresh(world.pupils["a1"]).grade == 3 and not PromotionRun.objects.exists()
    assert set(promote()) == {"农安县教育局", "榆树市教育局"}


def test_the_promotion_date_is_the_bureaus_setting(world):
    BureauSettings.objects.create(bureau=world.units["county_b"], promotion_date="08-12")
    assert set(promote()) == {"农安县教育局"}
    assert fresh(world.pupils["b1"]).grade == 3
    assert set(promote(date(2027, 8, 12))) == {"榆树市教育局"}
    assert fresh(world.pupils["b1"]).grade == 4


def test_a_missed_day_is_run_on_demand_by_the_bureau(world, login):
    assert promote(date(2027, 8, 11)) == {}  # the beat was down on the 10th: nothing starts by itself
    with at(date(2027, 8, 11)):
        client = login(world.user("officer_a"))
        response = client.post("/schoolyear/promotion/run/", {"bureau": world.units["county_a"].pk})
    run = PromotionRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/schoolyear/promotion/runs/{run.pk}/"
    assert (run.trigger, run.requested_by) == ("manual", world.user("officer_a"))
    # The worker's part (the broker may be away in tests): the daily job resumes it too.
    assert set(promote(date(2027, 8, 12))) == {"农安县教育局"}
    assert fresh(world.pupils["a1"]).grade == 4 and fresh(world.pupils["b1"]).grade == 3


def test_on_demand_is_refused_before_the_promotion_date_and_for_others(world, login, client):
    with at(date(2027, 8, 9)):
        with pytest.raises(ValidationError, match="升级日期为 2027-08-10"):
            services.promotion_run_request(actor=world.user("officer_a"), bureau=world.units["county_a"])
        with pytest.raises(ValidationError, match="只有本教育局"):
            services.promotion_run_request(actor=world.user("officer_b"), bureau=world.units["county_a"])
    with at(AUGUST_10), pytest.raises(ValidationError, match="由各县（区）教育局执行"):
        services.promotion_run_request(actor=world.user("city_officer"), bureau=world.units["city"])
    with at(AUGUST_10):
        for username, status in (("registrar_a1", 403), ("headmaster_a1", 403), ("central_a3", 403), ("teacher_a1", 403)):
            client.logout()
            login(world.user(username))
            assert client.post("/schoolyear/promotion/run/", {"bureau": world.units["county_a"].pk}).status_code == status
        client.logout()
        login(world.user("officer_b"))
        assert client.post("/schoolyear/promotion/run/", {"bureau": world.units["county_a"].pk}).status_code == 404
    assert not PromotionRun.objects.exists()


def test_the_run_report_page(world, login, client):
    run = promote()["农安县教育局"]
    with at(AUGUST_10):
        login(world.user("officer_a"))
        text = client.get(f"/schoolyear/promotion/runs/{run.pk}/").content.decode()
        assert "已完成 3/3 所学校，升级 4 人" in text and world.units["a3"].name in text and "3→4年级 2" in text
        client.logout()
        login(world.user("registrar_a1"))
        text = client.get(f"/schoolyear/promotion/runs/{run.pk}/").content.decode()
        assert world.units["a1"].name in text and world.units["a2"].name not in text
        client.logout()
        login(world.user("registrar_b1"))
        assert client.get(f"/schoolyear/promotion/runs/{run.pk}/").status_code == 404


def test_the_plan_page_offers_next_years_classes_one_grade_up(world, login, client):
    with at(date(2027, 6, 1)):
        login(world.user("registrar_a1"))
        school = world.units["a1"].pk
        client.post(f"/schoolyear/promotion/{school}/plan/", {"action": "prepare"})
        assert set(SchoolClass.objects.filter(school_year__start_year=2027).values_list("grade", "number")) == {(4, 1), (4, 2)}
        client.post(f"/schoolyear/promotion/{school}/plan/", {"action": "add_class", "grade": 4})
        third = SchoolClass.objects.get(school_year__start_year=2027, grade=4, number=3)
        text = client.get(f"/schoolyear/promotion/{school}/plan/").content.decode()
        assert "相同班号：四年级（1）班" in text and "四年级（3）班" in text
        client.post(f"/schoolyear/promotion/{school}/plan/", {"action": "save", f"class_{world.classes['a1_3_2'].pk}": third.pk})
        assert world.classes["a1_3_2"].promotion_mapping.to_class == third
        # The headmaster reads, does not edit; another school's and another county's people: 404; a head teacher: 403.
        for username, status in (("headmaster_a1", 403), ("registrar_a2", 404), ("officer_b", 404), ("teacher_a1", 403)):
            client.logout()
            login(world.user(username))
            assert client.post(f"/schoolyear/promotion/{school}/plan/", {"action": "prepare"}).status_code == status
        client.logout()
        login(world.user("headmaster_a1"))
        assert client.get(f"/schoolyear/promotion/{school}/plan/").status_code == 200
    promote()
    assert fresh(world.pupils["a1_other"]).school_class == third


def test_the_plan_is_fixed_once_the_school_is_promoted(world):
    promote()
    with pytest.raises(ValidationError, match="已经升级"):
        services.next_year_classes_prepare(actor=world.user("registrar_a1"), school=world.units["a1"], start_year=2026)


def test_promotion_api(world, api_as):
    a1 = world.units["a1"].pk
    with at(date(2027, 6, 1)):
        plan = api_as("registrar_a1").post(f"/api/v1/promotion-plans/{a1}/prepare/").json()
        target = next(c for c in plan["next_classes"] if c["number"] == 2)
        response = api_as("registrar_a1").post(
            f"/api/v1/promotion-plans/{a1}/mapping/",
            {"mappings": [{"from_class": world.classes["a1_3_1"].pk, "to_class": target["id"]}]}, format="json")
        assert response.status_code == 200 and response.json()["rows"][0]["mapped"]["id"] == target["id"]
        assert api_as("headmaster_a1").post(f"/api/v1/promotion-plans/{a1}/mapping/", {"mappings": []}, format="json").status_code == 403
        assert api_as("registrar_b1").get(f"/api/v1/promotion-plans/{a1}/").status_code == 404
        assert api_as("officer_a").post("/api/v1/promotion-runs/", {}, format="json").status_code == 400
    with at(AUGUST_10):
        started = api_as("officer_a").post("/api/v1/promotion-runs/", {}, format="json")
    assert started.status_code == 202
    services.promotion_run_execute(run_id=started.json()["id"])
    detail = api_as("officer_a").get(f"/api/v1/promotion-runs/{started.json()['id']}/").json()
    assert detail["status"] == "done" and sum(s["promoted"] for s in detail["schools"]) == 4
    assert fresh(world.pupils["a1"]).school_class_id == target["id"]
    assert api_as("officer_b").get(f"/api/v1/promotion-runs/{started.json()['id']}/").status_code == 404
