"""义务教育证书: the bureau numbers a school's graduates of a year from a prefix and a sequence,
consecutively, uniquely, all or nothing; a number is never given again and a certificate is never
reissued (a lost one gets a 学历证明书: test_education_proof.py)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from schoolyear import services
from schoolyear.models import Certificate, Graduate
from tests.factories import SchoolClassFactory, make_pupil
from tests.schoolyear.conftest import at
from xueji.accounts.models import AuditEntry
from xueji.documents.models import PrintedDocument

PLAN = services.NumberPlan("22012227", 1, 5)


def graduate(world, school="a1", username="registrar_a1"):
    with at(date(2027, 7, 20)):
        return services.graduation_perform(actor=world.user(username), school=world.units[school])


def assign(world, school="a1", plan=PLAN, username="officer_a", year=2026):
    return services.certificates_assign(actor=world.user(username), school=world.units[school], start_year=year, plan=plan)


def numbers(school) -> dict[str, str]:
    return dict(Certificate.objects.filter(graduate__graduation__school=school)
                .values_list("graduate__pupil__name", "number"))


def test_numbers_run_from_the_prefix_and_sequence_without_gaps(sixth_grade):
    world = sixth_grade
    graduate(world)
    batch = assign(world)
    assert (batch.first_number, batch.last_number, batch.count) == ("2201222700001", "2201222700003", 3)
    assert sorted(numbers(world.units["a1"]).values()) == ["2201222700001", "2201222700002", "2201222700003"]
    assert set(numbers(world.units["a1"])) == {"毕业甲", "毕业乙", "毕业丙"}
    assert AuditEntry.objects.filter(action="certificate.assign").exists()


def test_a_taken_number_refuses_the_whole_run(sixth_grade):
    world = sixth_grade
    graduate(world)
    assign(world)
    ninth = SchoolClassFactory(school=world.units["a2"], grade=9, number=1)
    for name in ("初三甲", "初三乙"):
        make_pupil(world.units["a2"], ninth, name=name)
    graduate(world, school="a2", username="registrar_a2")

    with pytest.raises(ValidationError) as refused:
        assign(world, school="a2", plan=services.NumberPlan("22012227", 3, 5))
    assert "2201222700003 已被使用" in str(refused.value)
    assert numbers(world.units["a2"]) == {}  # nothing numbered: a run has no gaps
    assign(world, school="a2", plan=services.NumberPlan("22012227", 4, 5))
    assert sorted(numbers(world.units["a2"]).values()) == ["2201222700004", "2201222700005"]
    assert services.certificate_next_sequence("22012227", 5) == 6


def test_a_certificate_is_never_reissued_or_renumbered(sixth_grade):
    world = sixth_grade
    graduate(world)
    assign(world)
    with pytest.raises(ValidationError, match="都已有证书编号"):
        assign(world, plan=services.NumberPlan("X", 100, 5))
    certificate = Certificate.objects.first()
    for attempt in (lambda: Certificate.objects.filter(pk=certificate.pk).update(number="X00001"),
                    lambda: Certificate.objects.filter(pk=certificate.pk).delete()):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    with pytest.raises(DatabaseError), transaction.atomic():
        # A second certificate for the same graduate (the database itself refuses).
        Certificate.objects.create(graduate=certificate.graduate, number="X00002", batch=certificate.batch)
    assert Certificate.objects.get(pk=certificate.pk).number == certificate.number


def test_a_late_graduate_is_numbered_by_a_later_run(sixth_grade):
    world = sixth_grade
    graduate(world)
    assign(world)
    late = make_pupil(world.units["a1"], world.classes["a1_6_1"], name="补办毕业")
    graduate(world)
    batch = assign(world, plan=services.NumberPlan("22012227", 4, 5))
    assert batch.count == 1 and numbers(world.units["a1"])["补办毕业"] == "2201222700004"
    assert Graduate.objects.get(pupil=late).certificate.number == "2201222700004"


def test_the_plan_is_checked(sixth_grade):
    world = sixth_grade
    graduate(world)
    for plan, field in ((services.NumberPlan("农安", 1, 5), "prefix"), (services.NumberPlan("A", 99, 2), "first_sequence"),
                        (services.NumberPlan("A", 1, 0), "width")):
        with pytest.raises(ValidationError) as refused:
            assign(world, plan=plan)
        assert field in refused.value.message_dict


def test_only_the_supervising_bureau_numbers(sixth_grade, login, client):
    world = sixth_grade
    graduate(world)
    for username in ("registrar_a1", "headmaster_a1", "officer_b", "city_officer"):
        with pytest.raises(ValidationError, match="教育局"):
            assign(world, username=username)
    url = f"/schoolyear/certificates/{world.units['a1'].pk}/2026/"
    for username, status in (("registrar_a1", 403), ("officer_b", 404), ("teacher_a1", 403)):
        client.logout()
        login(world.user(username))
        assert client.post(url, {"prefix": "A", "first_sequence": 1, "width": 5}).status_code == status
    client.logout()
    login(world.user("officer_a"))
    response = client.post(url, {"prefix": "A", "first_sequence": 1, "width": 5}, follow=True)
    assert "已编号 3 本：A00001 至 A00003" in response.content.decode()


def test_the_lists_link_leads_to_the_export_request_form(sixth_grade, login, client):
    world = sixth_grade
    graduate(world)
    assign(world)
    login(world.user("registrar_a1"))
    a1 = world.units["a1"].pk
    page = client.get(f"/schoolyear/certificates/{a1}/2026/").content.decode()
    assert "申请导出 Excel" in page
    response = client.get(f"/schoolyear/certificates/{a1}/2026.xlsx")
    assert response.status_code == 302
    assert response["Location"] == f"/exports/new/?kind=certificate_numbers&scope={a1}-2026"
    form = client.get(response["Location"]).content.decode()
    assert "义务教育证书编号表" in form and f'value="{a1}-2026" selected' in form
    assert not PrintedDocument.objects.filter(kind="certificate_numbers_xlsx").exists()  # nothing left
    client.logout()
    login(world.user("registrar_b1"))
    assert client.get(f"/schoolyear/certificates/{a1}/2026.xlsx").status_code == 404


def test_certificate_api(sixth_grade, api_as):
    world = sixth_grade
    graduate(world)
    a1 = world.units["a1"].pk
    body = {"school": a1, "year": 2026, "prefix": "22012227", "first_sequence": 1, "width": 5}
    assert api_as("registrar_a1").post("/api/v1/certificates/assign/", body, format="json").status_code == 403
    assert api_as("officer_b").post("/api/v1/certificates/assign/", body, format="json").status_code == 404
    done = api_as("officer_a").post("/api/v1/certificates/assign/", body, format="json")
    assert done.status_code == 201 and done.json()["last_number"] == "2201222700003"
    again = api_as("officer_a").post("/api/v1/certificates/assign/", body, format="json")
    assert again.status_code == 400
    listed = api_as("registrar_a1").get(f"/api/v1/certificates/?school={a1}&year=2026").json()
    assert sorted(row["certificate_number"] for row in listed) == ["2201222700001", "2201222700002", "2201222700003"]
