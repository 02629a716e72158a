"""A school's (or a grade's) 学籍卡 leave through an export request (xueji/documents/exports.py,
kind "school_cards"): the county's leader approves, the worker's follow-up prints the PDF with
the request's watermark in every page's footer, the 学籍号, ID numbers, guardians' phones and
addresses masked unless full values were granted. Read back with pdftotext as a clerk reads it."""

import pytest
from django.core.exceptions import ValidationError

from tests.factories import guardian_data, make_pupil
from tests.pdfs import page_count, pdf_words, squeezed
from tests.xueji.exports.helpers import add_leaders, approve
from tests.document_jobs import print_through_job
from xueji.accounts.models import Membership
from xueji.accounts.scoping import NotInScope
from xueji.exports.masking import mask_address
from xueji.exports.models import ExportFile
from xueji.exports.services import ExportAsk, export_request_start
from xueji.identity import mask_id_number, mask_student_number
from xueji.pupils.models import Pupil
from xueji.pupils.visibility import mask_phone

ALL_FIELDS = ["card", "student_number", "id_number", "phone", "address"]
PHONE = "13812345678"
ADDRESS = "吉林省长春市农安县农安镇黄龙路18号3单元"


def ask_cards(world, username="registrar_a1", scope="", *, full=False, fields=None):
    user = world.user(username)
    membership = Membership.objects.filter(user=user).select_related("unit").first()
    return export_request_start(actor=user, membership=membership, ask=ExportAsk(
        export_kind="school_cards", scope=str(scope), fields=fields or ALL_FIELDS, purpose="archive",
        purpose_text="学期末学籍卡归档", full_values=full, reason_for_full_values="档案须完整信息" if full else ""))


def pdf_of(change) -> bytes:
    export_file = ExportFile.objects.get(request=change)
    assert export_file.filename.endswith(".pdf")
    with export_file.file.open("rb") as handle:
        return handle.read()


@pytest.fixture
def cards(world, settings, tmp_path):
    """The county's leaders, and 孙小红 of A1-3(2) with a guardian's phone and an address."""
    settings.MEDIA_ROOT = tmp_path
    add_leaders(world)
    pupil = make_pupil(world.units["a1"], world.classes["a1_3_2"], name="孙小红",
                       guardians=[guardian_data(name="孙建军", phone=PHONE)])
    Pupil.objects.filter(pk=pupil.pk).update(address=ADDRESS)
    world.pupils["sun"] = Pupil.objects.get(pk=pupil.pk)
    return world


def in_school_a1(world) -> int:
    from xueji.documents.cards import school_pupils

    return school_pupils(world.user("registrar_a1"), world.units["a1"]).count()


def test_a_schools_cards_are_approved_by_the_county_masked_and_watermarked(cards):
    change = ask_cards(cards)
    assert change.steps.get().unit == cards.units["county_a"]
    assert change.payload["scope"] == str(cards.units["a1"].pk)
    assert not ExportFile.objects.filter(request=change).exists()  # nothing before the leader's decision
    pdf = pdf_of(approve(cards, change))
    words = pdf_words(pdf)
    pupil = cards.pupils["sun"]
    assert page_count(pdf) == in_school_a1(cards)  # a page a pupil
    assert "孙小红" in words and "学生学籍卡" in words
    # De-identified: names kept; numbers, phone and address masked.
    assert pupil.id_number not in words and squeezed(mask_id_number(pupil.id_number)) in words
    assert pupil.student_number not in words and squeezed(mask_student_number(pupil.student_number)) in words
    assert PHONE not in words and mask_phone(PHONE) in words
    assert ADDRESS not in words and squeezed(mask_address(ADDRESS)) in words
    # The watermark in every page's footer: the request, the requester, the time.
    assert words.count(f"申请编号：数据导出#{change.pk}") == page_count(pdf)
    assert "申请人：" in words and "导出时间：" in words and "身份证件号、电话、地址已脱敏" in words
    export_file = ExportFile.objects.get(request=change)
    assert not export_file.full_values and export_file.rows == in_school_a1(cards)


def test_full_values_when_the_leader_ticks_them(cards):
    change = approve(cards, ask_cards(cards, full=True), grant_full=True)
    words = pdf_words(pdf_of(change))
    pupil = cards.pupils["sun"]
    assert pupil.id_number in words and pupil.student_number in words
    assert PHONE in words and squeezed(ADDRESS) in words
    assert "完整（经审批同意）" in words
    assert ExportFile.objects.get(request=change).full_values


def test_full_values_asked_but_not_granted_stay_masked(cards):
    change = approve(cards, ask_cards(cards, full=True), grant_full=False)
    words = pdf_words(pdf_of(change))
    assert cards.pupils["sun"].id_number not in words and PHONE not in words


def test_fields_not_asked_for_are_not_printed(cards):
    change = approve(cards, ask_cards(cards, fields=["card"]), grant_full=False)
    words = pdf_words(pdf_of(change))
    pupil = cards.pupils["sun"]
    assert "孙小红" in words
    assert mask_phone(PHONE) not in words and squeezed(mask_address(ADDRESS)) not in words
    assert squeezed(mask_id_number(pupil.id_number)) not in words
    assert "身份证件：居民身份证***" in words  # the box printed, its value left out


def test_a_grade_of_the_school(cards):
    change = ask_cards(cards, scope=f"{cards.units['a1'].pk}-3")
    assert "三年级" in change.payload["scope_label"]
    pdf = pdf_of(approve(cards, change))
    from xueji.documents.cards import school_pupils

    assert page_count(pdf) == school_pupils(cards.user("registrar_a1"), cards.units["a1"], 3).count()


def test_a_county_officer_asks_for_a_school_of_the_county(cards):
    change = ask_cards(cards, "officer_a", scope=cards.units["a1"].pk)
    assert change.payload["scope_label"].startswith(cards.units["a1"].name)
    with pytest.raises(NotInScope):
        ask_cards(cards, "officer_a", scope=cards.units["b1"].pk)


def test_nobody_asks_for_a_school_they_do_not_print(cards):
    with pytest.raises(NotInScope):
        ask_cards(cards, "registrar_b1", scope=cards.units["a1"].pk)
    with pytest.raises(NotInScope):
        ask_cards(cards, "registrar_a1", scope=f"{cards.units['a1'].pk}-12")  # no such grade


def test_the_requester_does_not_approve_and_a_field_is_needed(cards):
    with pytest.raises(ValidationError):
        ask_cards(cards, fields=["nothing"])


def test_a_head_teacher_may_not_ask(cards, login):
    client = login(cards.user("teacher_a1"))
    assert client.get(f"/exports/new/?kind=school_cards&scope={cards.units['a1'].pk}").status_code == 403


def test_the_card_pages_button_leads_to_the_prefilled_form(cards, login):
    client = login(cards.user("registrar_a1"))
    school = cards.units["a1"]
    page = client.get(f"/schools/{school.pk}/cards/").content.decode()
    assert "申请导出" in page and 'name="kind" value="school_cards"' in page
    assert f'<option value="{school.pk}-3">' in page
    response = client.post(f"/schools/{school.pk}/cards/jobs/", {"grade": ""})
    assert response.status_code == 302
    assert response["Location"] == f"/exports/new/?kind=school_cards&scope={school.pk}"
    form = client.get(response["Location"]).content.decode()
    assert "全校或年级学籍卡" in form and f'value="{school.pk}" selected' in form
    grade = client.post(f"/schools/{school.pk}/cards/jobs/", {"grade": "3"})
    assert grade["Location"] == f"/exports/new/?kind=school_cards&scope={school.pk}-3"


def test_the_api_sends_the_school_job_to_the_export_request(cards, api_as):
    response = api_as("registrar_a1").post(f"/api/v1/schools/{cards.units['a1'].pk}/card-jobs/", {})
    assert response.status_code == 403 and response.json()["code"] == "export_request_required"


def test_a_class_and_a_pupil_still_print_at_once(cards, login):
    client = login(cards.user("registrar_a1"))
    # A class's cards through their job (tests/document_jobs.py), as the registrar sees them.
    assert print_through_job(client, f"/classes/{cards.classes['a1_3_2'].pk}/cards.pdf").status_code == 200
    response = client.get(f"/pupils/{cards.pupils['sun'].pk}/card.pdf")
    assert response.status_code == 200
    # The registrar sees the record in full on the immediate print: unchanged by the export's masking.
    assert cards.pupils["sun"].id_number in pdf_words(response.content)


def test_a_bureau_names_the_school(cards):
    with pytest.raises(ValidationError) as refused:
        ask_cards(cards, "officer_a", scope="")
    assert "请选择学校" in str(refused.value)
