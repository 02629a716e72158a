"""The transfer's papers: the 转学申请表 and the 转学联系函（转学证明）, one A4 page each with the
verification code, the decisions printed in their boxes as they are made; whether they are used at
all is a bureau setting (the receiving school's bureau for the application, the sending school's
for the letter); outside the request's parties they are refused like the request itself."""

import pytest
import time_machine

from tests.pdfs import page_count, pdf_words
from tests.transfers.conftest import start
from xueji.accounts.models import AuditEntry, BureauSettings
from xueji.approvals.services import request_decide
from xueji.documents.models import PrintedDocument

TODAY = "2026-10-12 10:00 +0800"


@pytest.fixture
def transfer(world):
    """a1 (农安县实验小学, 县 A) into B1 (榆树市实验小学, 县 B): four steps, none decided."""
    with time_machine.travel(TODAY):
        return start(world, "a1", to="b1")


def _paper(client, change, which: str):
    return client.get(f"/transfers/{change.pk}/{which}.pdf")


def papers_off(world, county: str) -> None:
    BureauSettings.objects.update_or_create(bureau=world.units[county], defaults={"transfer_paper_forms": False})


def test_the_application_prints_the_pupil_grounds_proof_and_signature_boxes_on_one_page(world, transfer, login):
    client = login(world.user("registrar_b1"))
    response = _paper(client, transfer, "application")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    words = pdf_words(response.content)
    for text in ("转学申请表", "张小明", "户籍或住所迁移", "户口簿.pdf", "监护人签字", "转入学校意见", "转出学校意见",
                 "榆树市教育局", "农安县教育局", "学校盖章", "应附：户口簿或居住证"):
        assert text in words, text
    code = response["X-Document-Code"]
    assert f"核验码：{code}" in words
    assert page_count(response.content) == 1
    printed = PrintedDocument.objects.get(code=code.replace("-", ""))
    assert (printed.kind, printed.change_request_id) == ("application_form", transfer.pk)
    assert AuditEntry.objects.filter(action="document.print", object_id=str(transfer.pk)).exists()


def test_the_letter_prints_the_decisions_as_they_are_made(world, transfer, login):
    client = login(world.user("registrar_b1"))
    words = pdf_words(_paper(client, transfer, "letter").content)
    assert "转学联系函" in words and "农安县实验小学：" in words and words.count("待审批") == 4
    with time_machine.travel(TODAY):
        request_decide(actor=world.user("headmaster_b1"), request_id=transfer.pk, approve=True, comment="同意接收，编入三年级")
    response = _paper(client, transfer, "letter")
    words = pdf_words(response.content)
    assert "系统审批记录：同意，审批人" in words and "同意接收，编入三年级" in words and "2026-10-1210:00" in words
    assert words.count("待审批") == 3
    with time_machine.travel(TODAY):
        request_decide(actor=world.user("officer_b"), request_id=transfer.pk, approve=True, comment="")
        request_decide(actor=world.user("headmaster_a1"), request_id=transfer.pk, approve=True, comment="同意转出")
    words = pdf_words(_paper(client, transfer, "letter").content)
    assert words.count("系统审批记录：同意") == 3 and "同意转出" in words and words.count("待审批") == 1
    assert page_count(response.content) == 1
    assert f"核验码：{response['X-Document-Code']}" in pdf_words(response.content)
    assert PrintedDocument.objects.filter(kind="transfer_letter", change_request=transfer).count() == 3


def test_the_papers_stay_one_page_with_long_opinions(world, transfer, login):
    with time_machine.travel(TODAY):
        for username in ("headmaster_b1", "officer_b", "headmaster_a1"):
            request_decide(actor=world.user(username), request_id=transfer.pk, approve=True, comment="同" * 400)
    client = login(world.user("registrar_b1"))
    for which in ("application", "letter"):
        assert page_count(_paper(client, transfer, which).content) == 1, which


def test_a_bureau_without_paper_forms_is_offered_no_link_and_refused_with_the_reason(world, transfer, login):
    client = login(world.user("registrar_b1"))
    page = client.get(f"/requests/{transfer.pk}/").content.decode()
    assert "打印转学申请表" in page and "打印转学联系函" in page
    papers_off(world, "county_b")  # the receiving side: no application
    page = client.get(f"/requests/{transfer.pk}/").content.decode()
    assert "打印转学申请表" not in page and "打印转学联系函" in page
    refused = _paper(client, transfer, "application")
    assert refused.status_code == 403 and "本地已取消纸质转学表格" in refused.content.decode()
    assert AuditEntry.objects.filter(action="permission.denied", detail__contains="本地已取消纸质转学表格").exists()
    assert _paper(client, transfer, "letter").status_code == 200
    papers_off(world, "county_a")  # the sending side: no letter either
    assert "打印转学联系函" not in client.get(f"/requests/{transfer.pk}/").content.decode()
    assert _paper(client, transfer, "letter").status_code == 403
    assert not PrintedDocument.objects.filter(change_request=transfer, kind="application_form").exists()


def test_the_api_prints_and_refuses_the_same(world, transfer, api_as):
    client = api_as("registrar_a1")  # the sending school
    for which in ("application", "letter"):
        response = client.get(f"/api/v1/transfers/{transfer.pk}/{which}.pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf", which
    papers_off(world, "county_a")
    refused = client.get(f"/api/v1/transfers/{transfer.pk}/letter.pdf")
    assert refused.status_code == 403 and refused.json()["code"] == "paper_forms_off"
    assert "本地已取消纸质转学表格" in refused.json()["detail"]


@pytest.mark.parametrize("username", ["registrar_a2", "headmaster_a2", "teacher_a1"])
def test_another_school_cannot_fetch_the_papers(world, transfer, login, api_as, username):
    client = login(world.user(username))
    for which in ("application", "letter"):
        assert _paper(client, transfer, which).status_code == 404, which
        assert api_as(username).get(f"/api/v1/transfers/{transfer.pk}/{which}.pdf").status_code == 404, which
    assert AuditEntry.objects.filter(action="lookup.denied", user=world.user(username)).count() == 4
    assert not PrintedDocument.objects.exists()


def test_another_kind_of_request_has_no_transfer_papers(world, login):
    from xueji.approvals.services import request_start

    with time_machine.travel(TODAY):
        other = request_start(kind="transfer_out", actor=world.user("registrar_a1"), unit=world.units["a1"],
                              pupil=world.pupils["a1_other"], payload={"destination": "辽宁省沈阳市", "reason": ""})
    client = login(world.user("registrar_a1"))
    assert _paper(client, other, "letter").status_code == 404
    assert "打印转学联系函" not in client.get(f"/requests/{other.pk}/").content.decode()


def test_the_papers_are_in_the_api_schema_without_warnings(world, api_as):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    schema = api_as("registrar_b1").get("/api/schema/").content.decode()
    for path in ("/api/v1/transfers/{id}/application.pdf:", "/api/v1/transfers/{id}/letter.pdf:"):
        assert path in schema, path
    assert "transfers_application_pdf" in schema and "transfers_letter_pdf" in schema
    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)
    messages = [m for m in (*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache) if "ransfer" in str(m)]
    assert messages == []


def test_a_transfer_across_provinces_prints_its_six_boxes_on_one_page(world, login):
    """Across provinces both provinces' offices join the chain: six boxes, still one page each."""
    from tests.factories import MembershipFactory, SchoolClassFactory, SchoolFactory, UnitFactory, UserFactory
    from xueji.accounts.models import Role, UnitKind

    province = UnitFactory(kind=UnitKind.PROVINCE_BUREAU, name="辽宁省教育厅", division_id="210000")
    city = UnitFactory(kind=UnitKind.CITY_BUREAU, name="沈阳市教育局", parent=province, division_id="210100")
    county = UnitFactory(kind=UnitKind.COUNTY_BUREAU, name="和平区教育局", parent=city, division_id="210102")
    school = SchoolFactory(name="和平区第一小学", parent=county, division_id="210102")
    world.classes["ln_3_1"] = SchoolClassFactory(school=school, grade=3, number=1)
    registrar = UserFactory(username="registrar_ln")
    MembershipFactory(user=registrar, unit=school, role=Role.REGISTRAR)
    world.units["ln"], world.users["registrar_ln"] = school, registrar
    with time_machine.travel(TODAY):
        change = start(world, "a1", to="ln", to_class="ln_3_1")
    assert change.steps.count() == 6
    client = login(registrar)
    for which in ("application", "letter"):
        response = _paper(client, change, which)
        assert response.status_code == 200 and page_count(response.content) == 1, which
        assert "辽宁省教育厅" in pdf_words(response.content) and "吉林省教育厅" in pdf_words(response.content)
