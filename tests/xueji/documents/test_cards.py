"""学籍卡: a pupil's at once, a class's through its job (tests/document_jobs.py; the job itself on a
real Celery worker: test_document_jobs.py); read
back with poppler (pdftotext, pdfinfo, pdfimages) as a clerk reads the paper: the pupil, the
numbers as the printing user may see them, the guardians, the history, the signature and stamp
boxes, and the footer's verification code and printing user; one page a pupil."""

import os
import subprocess
import tempfile
from datetime import date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.base import ContentFile
from PIL import Image

from tests.document_jobs import api_print_through_job, print_through_job
from tests.factories import guardian_data, make_pupil
from tests.pdfs import page_count, pdf_words, squeezed
from xueji.accounts.models import AuditEntry
from xueji.codes import NumberKind, PupilStatus
from xueji.documents.cards import cards_fingerprint, pupils_for_cards, school_pupils
from xueji.documents.models import DocumentJob, PrintedDocument
from xueji.identity import mask_id_number, mask_student_number
from xueji.pupils.models import Guardian, Pupil, StudentNumber
from xueji.pupils.numbers import pupil_assign_number
from xueji.pupils.services import pupil_set_status

SHANGHAI = ZoneInfo("Asia/Shanghai")
PRINTED = datetime(2026, 12, 4, 10, 30, tzinfo=SHANGHAI)
BOX_LABELS = ["学籍管理员（签字）", "校长（签字）", "学校盖章", "日期"]


def page_words(pdf: bytes, page: int) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), file.name, "-"],
                              capture_output=True, check=True).stdout.decode()
    return "".join(text.split())


def images_in(pdf: bytes) -> list[str]:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        listing = subprocess.run(["pdfimages", "-list", file.name], capture_output=True, check=True).stdout.decode()
    return listing.splitlines()[2:]


@pytest.fixture
def named(world):
    for username, full_name in [("registrar_a1", "张三"), ("teacher_a1", "赵老师"), ("city_officer", "陈处长"),
                                ("officer_a", "刘科长")]:
        user = world.user(username)
        user.full_name = full_name
        user.save(update_fields=["full_name"])
    return world


@pytest.fixture
def chen(named):
    """陈思语 of A1-3(1): a temporary L number replaced by her G number, two guardians, a year of
    suspension for an injury and her return."""
    pupil = make_pupil(named.units["a1"], named.classes["a1_3_1"], name="陈思语", number_kind=NumberKind.TEMPORARY,
                       guardians=[guardian_data(name="陈立新", phone="13812345678", workplace="农安县供电局"),
                                  guardian_data(relation="52", name="司马晓燕", phone="13987654321")])
    pupil_assign_number(pupil=pupil, kind=NumberKind.FROM_ID, reason="身份核验通过")
    pupil_set_status(actor=named.user("registrar_a1"), pupil=pupil, status=PupilStatus.SUSPENDED,
                     effective_date=date(2026, 3, 2), reason="伤病：骨折住院")
    pupil_set_status(actor=named.user("registrar_a1"), pupil=pupil, status=PupilStatus.ENROLLED,
                     effective_date=date(2026, 9, 1), reason="康复复学")
    return Pupil.objects.get(pk=pupil.pk)


def card_of(client, pupil, api=False):
    url = f"/api/v1/pupils/{pupil.pk}/card.pdf" if api else f"/pupils/{pupil.pk}/card.pdf"
    with time_machine.travel(PRINTED, tick=False):
        return client.get(url)


def test_card_prints_the_record_the_history_the_boxes_and_the_footer(named, chen, login):
    response = card_of(login(named.user("registrar_a1")), chen)

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert page_count(response.content) == 1
    words = pdf_words(response.content)
    assert "学生学籍卡" in words and "陈思语" in words and "农安县实验小学" in words and "三年级（1）班" in words
    # The current G number, the ID number, the former L number with its dates.
    former = StudentNumber.objects.get(pupil=chen, retired_at__isnull=False).number
    assert chen.student_number.startswith("G") and chen.student_number in words
    assert chen.id_number in words and former in words and "临时" in words
    # Guardians: name, relation, ID number, phone, workplace.
    for guardian in Guardian.objects.filter(pupil=chen):
        assert guardian.name in words and guardian.id_number in words and guardian.phone in words
    assert "陈立新（父亲）" in words and "农安县供电局" in words
    # The history: established, suspended with its reason, back.
    assert "建籍（在籍在校）" in words
    assert squeezed("2026-03-02 在籍在校 → 休学；伤病：骨折住院") in words
    assert squeezed("2026-09-01 休学 → 在籍在校；康复复学") in words
    for label in BOX_LABELS:
        assert label in words
    # The footer: the verification code, who printed it, when.
    code = response["X-Document-Code"]
    assert squeezed(f"核验码：{code} 打印：张三 2026-12-04 10:30") in words
    record = PrintedDocument.objects.get(code=code.replace("-", ""))
    assert (record.kind, record.title, record.page_count, record.pupil_ids) == ("registration_card", "学籍卡", 1, [chen.pk])
    assert record.pupils == [{"id": chen.pk, "name": "陈思语", "number": chen.student_number}]
    assert record.printed_by == named.user("registrar_a1") and record.unit_id == named.units["a1"].pk
    import hashlib

    assert record.sha256 == hashlib.sha256(response.content).hexdigest()
    entry = AuditEntry.objects.get(action="document.print", object_type="pupil", object_id=str(chen.pk))
    assert entry.user == named.user("registrar_a1") and code in entry.detail


@pytest.mark.parametrize("username, api", [("teacher_a1", False), ("city_officer", False), ("city_officer", True)])
def test_numbers_and_private_details_are_masked_for_those_who_see_records_masked(named, chen, login, api_as,
                                                                                username, api):
    client = api_as(username) if api else login(named.user(username))
    response = card_of(client, chen, api=api)

    assert response.status_code == 200
    words = pdf_words(response.content)
    assert "陈思语" in words
    assert chen.id_number not in words and mask_id_number(chen.id_number) in words
    assert chen.student_number not in words and mask_student_number(chen.student_number) in words
    # The guardians' ID numbers are not printed at all; their phones to a head teacher only, who
    # calls the parents (xueji.pupils.visibility).
    for guardian in Guardian.objects.filter(pupil=chen):
        assert guardian.id_number not in words and mask_id_number(guardian.id_number) not in words
        assert (guardian.phone in words) is (username == "teacher_a1")
    assert "现住址：***" in words and "健康状况：***" in words and "户口所在地：***" in words
    assert "残疾：***" in words and "留守儿童：***" in words and "孤儿：***" in words
    record = PrintedDocument.objects.get(code=response["X-Document-Code"].replace("-", ""))
    assert record.pupils[0]["number"] == mask_student_number(chen.student_number)


def test_class_cards_are_one_pdf_with_a_page_for_each_pupil(named, chen, login):
    school_class = named.classes["a1_3_1"]
    third = make_pupil(named.units["a1"], school_class, name="欧阳子轩")
    left = make_pupil(named.units["a1"], school_class, name="转出甲")
    pupil_set_status(actor=None, pupil=left, status=PupilStatus.TRANSFERRED_OUT, effective_date=date(2026, 10, 1),
                     reason="转学")
    with time_machine.travel(PRINTED, tick=False):
        response = print_through_job(login(named.user("registrar_a1")), f"/classes/{school_class.pk}/cards.pdf")

    assert response.status_code == 200
    # In pinyin order (陈 chen, 欧阳 ouyang, 张 zhang), not the code points' (张 欧 陈).
    pupils = [chen, third, named.pupils["a1"]]
    assert page_count(response.content) == len(pupils)  # the pupil who left is not on it
    for number, pupil in enumerate(pupils, start=1):
        words = page_words(response.content, number)
        assert pupil.name in words and pupil.student_number in words
        assert not any(other.name in words for other in pupils if other != pupil)
        assert response["X-Document-Code"] in words and "打印：张三" in words
    assert "转出甲" not in pdf_words(response.content)
    record = PrintedDocument.objects.get(code=response["X-Document-Code"].replace("-", ""))
    assert record.title == "三年级（1）班学籍卡" and record.school_class_id == school_class.pk
    assert sorted(record.pupil_ids) == sorted(p.pk for p in pupils) and record.page_count == 3
    assert AuditEntry.objects.filter(action="document.print", object_type="schoolclass",
                                     object_id=str(school_class.pk)).count() == 1


def test_the_api_prints_a_class_as_the_page_does(named, chen, api_as):
    school_class = named.classes["a1_3_1"]
    response = api_print_through_job(api_as("teacher_a1"), f"/api/v1/classes/{school_class.pk}/cards.pdf")
    assert response.status_code == 200 and page_count(response.content) == 2
    assert chen.id_number not in pdf_words(response.content)  # a head teacher sees numbers masked


def test_card_prints_the_photo_or_says_there_is_none(named, chen, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = login(named.user("registrar_a1"))
    without = card_of(client, chen).content
    assert "无照片" in pdf_words(without) and images_in(without) == []

    image = BytesIO()
    Image.new("RGB", (358, 441), (67, 142, 219)).save(image, format="JPEG")  # blue background
    chen.photo.save("证件照.jpg", ContentFile(image.getvalue()))
    with_photo = card_of(client, chen).content
    listing = images_in(with_photo)
    assert len(listing) == 1 and listing[0].split()[3:5] == ["358", "441"]
    assert "无照片" not in pdf_words(with_photo)


def _longest(model, field: str, text: str) -> str:
    length = model._meta.get_field(field).max_length
    return (text * length)[:length]


def test_card_stays_one_page_with_every_text_at_its_longest(named, chen, login):
    for field, text in [("name", "欧阳"), ("former_name", "司马"), ("pinyin", "ouyang "), ("address", "农安镇黄龙路幸福家园小区"),
                        ("hukou_address", "合隆镇陈家店村三社"), ("mailing_address", "农安镇通信路"),
                        ("home_address", "农安镇家园路")]:
        setattr(chen, field, _longest(Pupil, field, text))
    chen.save()
    Guardian.objects.filter(pupil=chen).update(name=_longest(Guardian, "name", "陈立新"),
                                               workplace=_longest(Guardian, "workplace", "农安县人民政府办公室综合科"),
                                               relation_note=_longest(Guardian, "relation_note", "远房表亲"),
                                               job_title=_longest(Guardian, "job_title", "办公室副主任"),
                                               address=_longest(Guardian, "address", "农安镇黄龙路与兴华街交汇处"),
                                               hukou_division_id="654022")  # 察布查尔锡伯自治县, a long full name
    Guardian.objects.create(pupil=chen, position=3, relation="61", name=_longest(Guardian, "name", "陈"),
                            id_number="220122195001010011", phone="13800000000", workplace="无", hukou_division_id="220122")
    Guardian.objects.create(pupil=chen, position=4, relation="62", name="李", id_number="220122195001010020",
                            phone="13800000001", workplace="无", hukou_division_id="220122")
    for number in range(12):
        pupil_set_status(actor=None, pupil=chen, status=[PupilStatus.SUSPENDED, PupilStatus.ENROLLED][number % 2],
                         effective_date=date(2026, 10, 1 + number), reason="长" * 200)

    response = card_of(login(named.user("registrar_a1")), chen)
    if os.environ.get("XUEJI_KEEP_PDF"):  # to look at it: pdftoppm -png -r 60
        with open(os.environ["XUEJI_KEEP_PDF"], "wb") as file:
            file.write(response.content)

    assert page_count(response.content) == 1
    words = pdf_words(response.content)
    assert "学校盖章" in words and "核验码" in words
    # Sixteen rows of history (establishment, two, twelve): the newest eight, the rest in the system.
    assert "仅列最近8条，另有7条较早记录，其余见系统" in words
    assert "另有2名监护人，其余见系统" in words  # the national form's 成员1 and 成员2 on the card


def test_pupils_are_loaded_for_cards_in_a_constant_number_of_queries(named, chen, django_assert_num_queries):
    school_class = named.classes["a1_3_1"]
    for extra in range(4):
        make_pupil(named.units["a1"], school_class, name=f"王同学{'甲乙丙丁'[extra]}")
    pupils = Pupil.objects.filter(school_class=school_class).order_by("name")
    with django_assert_num_queries(5):  # pupils, guardians, numbers, status changes, approved requests
        one = pupils_for_cards(pupils.filter(pk=chen.pk))
    with django_assert_num_queries(5):
        all_of_them = pupils_for_cards(pupils)
    assert len(one) == 1 and len(all_of_them) == 6
    from xueji.documents.cards import card_for
    from xueji.pupils.visibility import SEES_ALL

    with django_assert_num_queries(0):  # building what the cards print reads nothing more
        for pupil in all_of_them:
            card_for(pupil, visibility=SEES_ALL)


@pytest.mark.parametrize("username", ["registrar_b1", "officer_b", "registrar_a2", "headmaster_b1"])
def test_nobody_outside_the_scope_prints_a_card(named, chen, login, api_as, username):
    client, api = login(named.user(username)), api_as(username)
    school_class = named.classes["a1_3_1"]
    assert client.get(f"/pupils/{chen.pk}/card.pdf").status_code == 404
    assert client.get(f"/classes/{school_class.pk}/cards.pdf").status_code == 404
    assert client.post(f"/classes/{school_class.pk}/cards.pdf").status_code == 404
    assert client.get(f"/schools/{named.units['a1'].pk}/cards/").status_code == 404
    assert client.post(f"/schools/{named.units['a1'].pk}/cards/jobs/", {"grade": "3"}).status_code == 404
    assert api.get(f"/api/v1/pupils/{chen.pk}/card.pdf").status_code == 404
    assert api.get(f"/api/v1/classes/{school_class.pk}/cards.pdf").status_code == 404
    assert api.post(f"/api/v1/schools/{named.units['a1'].pk}/card-jobs/", {}).status_code == 404
    assert not PrintedDocument.objects.exists() and not DocumentJob.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["document.print", "document.job"]).exists()


def test_a_head_teacher_prints_the_own_class_only(named, chen, login):
    client = login(named.user("teacher_a1"))
    assert client.post(f"/classes/{named.classes['a1_3_2'].pk}/cards.pdf").status_code == 404
    assert client.get(f"/pupils/{named.pupils['a1_other'].pk}/card.pdf").status_code == 404
    page = client.get(f"/schools/{named.units['a1'].pk}/cards/").content.decode()
    assert "打印本班学籍卡" in page and f"/classes/{named.classes['a1_3_1'].pk}/cards.pdf" in page
    assert f"/classes/{named.classes['a1_3_2'].pk}/cards.pdf" not in page and "生成学籍卡" not in page
    assert client.post(f"/schools/{named.units['a1'].pk}/cards/jobs/", {"grade": ""}).status_code == 404


def test_the_buttons_are_where_a_registrar_looks(named, chen, login):
    client = login(named.user("registrar_a1"))
    pupil_page = client.get(f"/pupils/{chen.pk}/").content.decode()
    assert "打印学籍卡" in pupil_page and f"/pupils/{chen.pk}/card.pdf" in pupil_page
    school_class = named.classes["a1_3_1"]
    listing = client.get(f"/pupils/?school_class={school_class.pk}").content.decode()
    assert "打印本班学籍卡" in listing and f"/classes/{school_class.pk}/cards.pdf" in listing
    assert client.get("/cards/")["Location"] == f"/schools/{named.units['a1'].pk}/cards/"
    school_page = client.get(f"/schools/{named.units['a1'].pk}/cards/").content.decode()
    assert "申请导出" in school_page and "三年级（3 人）" in school_page and "打印本班学籍卡" in school_page
    assert "生成学籍卡" not in school_page  # the school's cards leave through an export request


def test_the_fingerprint_changes_with_anything_the_cards_print(named, chen, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    school = named.units["a1"]
    pupils = school_pupils(named.user("registrar_a1"), school)

    def fingerprint():
        return cards_fingerprint(pupils, school)

    first = fingerprint()
    assert fingerprint() == first  # nothing changed
    changes = [
        lambda: Pupil.objects.filter(pk=chen.pk).update(address="新地址"),  # bulk: pghistory sees it
        lambda: Guardian.objects.filter(pupil=chen, position=2).delete(),
        lambda: pupil_set_status(actor=None, pupil=chen, status=PupilStatus.SUSPENDED, effective_date=date(2026, 11, 2),
                                 reason="伤病"),
        lambda: chen.photo.save("photo.jpg", ContentFile(b"\xff\xd8 photo")),
        lambda: make_pupil(school, named.classes["a1_3_2"], name="新同学"),
    ]
    previous = first
    for change in changes:
        change()
        current = fingerprint()
        assert current != previous
        previous = current


def test_card_prints_the_national_items_and_masks_them_as_the_page_does(named, login):
    from tests.national_pupil import MEMBERS, VALUES, national_pupil

    pupil = national_pupil(named)
    words = pdf_words(card_of(login(named.user("registrar_a1")), pupil).content)
    for text in ("政治面貌：群众", "学生来源：正常入学", "班内学号：17", "受过学前教育：是", f"联系电话：{VALUES['phone']}",
                 "邮政编码：130200", "上下学：2.5公里，公共交通", "乘坐校车：是", f"通信地址：{VALUES['mailing_address']}",
                 f"家庭地址：{VALUES['home_address']}", "是否监护人：否", "民族：蒙古族", "职务：科长",
                 f"现住址：{MEMBERS[0]['address']}", "（父亲，生父）"):
        assert squeezed(text) in words, text

    words = pdf_words(card_of(login(named.user("teacher_a1")), pupil).content)
    assert page_count(card_of(login(named.user("teacher_a1")), pupil).content) == 1
    assert f"联系电话：{VALUES['phone']}" in words  # a head teacher calls the family
    assert "通信地址：***" in words and "家庭地址：***" in words and "邮政编码：***" in words
    assert MEMBERS[0]["address"] not in words and "现住址：***" in words
    words = pdf_words(card_of(login(named.user("city_officer")), pupil).content)
    assert "联系电话：***" in words and VALUES["phone"] not in words
