"""学历证明书: a lost certificate is never reissued; the school issues a proof (a request of the
engine: headmaster, then the bureau confirms) and the printed proof shows the confirmation. The
PDF is read back with pdftotext."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from schoolyear import services
from tests.pdfs import page_count, pdf_words
from tests.schoolyear.conftest import at
from xueji.accounts.models import AuditEntry
from xueji.accounts.permissions import NotAllowed
from xueji.approvals.services import request_decide
from xueji.documents.models import PrintedDocument


@pytest.fixture
def graduated(sixth_grade):
    world = sixth_grade
    with at(date(2027, 7, 20)):
        services.graduation_perform(actor=world.user("registrar_a1"), school=world.units["a1"])
    services.certificates_assign(actor=world.user("officer_a"), school=world.units["a1"], start_year=2026,
                                 plan=services.NumberPlan("22012227", 1, 5))
    world.graduate = world.grade6["毕业甲"]
    world.graduate.refresh_from_db()
    return world


def proof(world, username="registrar_a1"):
    return services.education_proof_start(actor=world.user(username), pupil=world.graduate, note="2029 年搬家时遗失。")


def test_the_proof_is_confirmed_by_the_bureau_and_prints_its_confirmation(graduated, login, client):
    world = graduated
    change = proof(world)
    assert [s.label for s in change.steps.order_by("position")] == ["学校出具：校长审核", "农安县教育局核准"]
    login(world.user("registrar_a1"))
    url = f"/schoolyear/education-proofs/{change.pk}/proof.pdf"

    before = pdf_words(client.get(url).content)
    assert "学历证明书" in before and "尚未经教育行政部门核准，本证明暂不生效" in before
    assert "毕业甲" in before and "2027年7月20日在农安县实验小学完成小学学业（六年级），准予毕业" in before
    assert "义务教育证书（编号：2201222700" in before and "一律不予补发" in before
    assert world.graduate.id_number in before  # the school sees the record in full

    request_decide(actor=world.user("headmaster_a1"), request_id=change.pk, approve=True, comment="情况属实")
    assert "尚未经教育行政部门核准" in pdf_words(client.get(url).content)
    request_decide(actor=world.user("officer_a"), request_id=change.pk, approve=True, comment="核准")
    response = client.get(url)
    after = pdf_words(response.content)
    assert response["Content-Type"] == "application/pdf" and page_count(response.content) == 1
    assert "尚未经教育行政部门核准" not in after
    assert "经审核，情况属实，予以核准" in after and "核准单位：农安县教育局" in after
    assert f"核准人：{world.user('officer_a')}" in after
    assert AuditEntry.objects.filter(action="document.print", object_id=str(change.pk)).count() == 3
    # Each print has its verification code in the footer, recorded with the request.
    printed = PrintedDocument.objects.filter(kind="education_proof", change_request=change).order_by("-printed_at", "-pk")
    assert printed.count() == 3 and printed[0].display_code in after and f"打印：{world.user('registrar_a1')}" in after
    # The pupil's record is not changed by a proof.
    world.graduate.refresh_from_db()
    assert world.graduate.status == "graduated"


def test_a_city_officer_prints_it_masked(graduated, login, client):
    world = graduated
    change = proof(world)
    login(world.user("city_officer"))
    text = pdf_words(client.get(f"/schoolyear/education-proofs/{change.pk}/proof.pdf").content)
    assert "毕业甲" in text and world.graduate.id_number not in text


def test_only_for_the_schools_own_graduates(graduated, login, client):
    world = graduated
    with pytest.raises(ValidationError, match="已毕业|办理了毕业"):
        services.education_proof_start(actor=world.user("registrar_a1"), pupil=world.pupils["a1"])
    with pytest.raises(NotAllowed, match="只有本校学籍管理员"):
        proof(world, username="headmaster_a1")
    login(world.user("registrar_b1"))
    assert client.get(f"/pupils/{world.graduate.pk}/education-proof/new/").status_code == 404
    client.logout()
    login(world.user("headmaster_a1"))
    assert client.get(f"/pupils/{world.graduate.pk}/education-proof/new/").status_code == 404


def test_started_from_the_pupils_page(graduated, login, client):
    world = graduated
    login(world.user("registrar_a1"))
    assert f"/pupils/{world.graduate.pk}/education-proof/new/" in client.get(f"/pupils/{world.graduate.pk}/").content.decode()
    response = client.post(f"/pupils/{world.graduate.pk}/education-proof/new/", {"note": "遗失"})
    assert response.status_code == 302
    change = world.graduate.requests.get(kind="education_proof")
    assert response["Location"] == f"/requests/{change.pk}/"
    assert change.payload["certificate_number"].startswith("22012227")
    page = client.get(f"/requests/{change.pk}/").content.decode()
    assert f"/schoolyear/education-proofs/{change.pk}/proof.pdf" in page


def test_the_proof_of_another_request_or_county_is_404(graduated, login, client):
    from tests.schoolyear.conftest import pending_suspension

    world = graduated
    change = proof(world)
    other = pending_suspension(world, world.pupils["a1"])
    login(world.user("registrar_a1"))
    assert client.get(f"/schoolyear/education-proofs/{other.pk}/proof.pdf").status_code == 404
    client.logout()
    login(world.user("officer_b"))
    assert client.get(f"/schoolyear/education-proofs/{change.pk}/proof.pdf").status_code == 404
