"""Names in pinyin order wherever people read lists (xueji.collation): the pupil list (page and
API, the same order), a class's roster (PDF and the exported xlsx), the inbox's pupil column; and
the class filter's labels that tell this year's classes from next year's.

The names are chosen so that code-point order (张 U+5F20, 李 U+674E, 王 U+738B, 赵 U+8D75,
阿 U+963F) differs from pinyin order (a, li, wang, zhang, zhao): every test fails on a column that
sorts by code point, as the C.UTF-8 databases here do by default."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.factories import SchoolClassFactory, SchoolYearFactory, make_pupil
from tests.pdfs import pdf_words
from xueji.codes import Gender
from xueji.collation import pinyin_sort_key
from xueji.pupils.models import Pupil

NAMES_BY_CODE_POINT = ["张一鸣", "李二妹", "王三强", "赵四海", "阿依古丽"]
PINYIN_ORDER = ["阿依古丽", "李二妹", "王三强", "张一鸣", "赵四海"]


def test_the_names_differ_in_code_point_and_pinyin_order():
    assert sorted(NAMES_BY_CODE_POINT) == NAMES_BY_CODE_POINT != PINYIN_ORDER


def test_the_python_key_sorts_by_pinyin_as_the_database_does():
    assert sorted(NAMES_BY_CODE_POINT, key=pinyin_sort_key) == PINYIN_ORDER
    # The same syllable: the tone decides (黎 lí, 李 lǐ, 力 lì).
    assert sorted(["李明", "黎明", "力明"], key=pinyin_sort_key) == ["黎明", "李明", "力明"]
    # Digits and punctuation before Chinese, Latin letters after, as ICU's zh order.
    assert sorted(["Anna", "安娜"], key=pinyin_sort_key) == ["安娜", "Anna"]


@pytest.fixture
def one_class(world):
    """A new class of five pupils, entered in code-point order."""
    school_class = world.classes["a1_3_5"] = SchoolClassFactory(school=world.units["a1"], grade=3, number=5)
    for name in NAMES_BY_CODE_POINT:
        make_pupil(world.units["a1"], school_class, name=name, gender=Gender.FEMALE if "妹" in name else Gender.MALE)
    return school_class


def in_order(text: str, names: list[str]) -> list[str]:
    """The names as they appear in ``text``, first appearance first."""
    return sorted(names, key=text.index)


def test_the_database_sorts_names_in_pinyin_order(one_class):
    names = Pupil.objects.filter(school_class=one_class).order_by("name").values_list("name", flat=True)
    assert list(names) == PINYIN_ORDER


def test_the_pupil_list_page_and_the_api_read_in_the_same_pinyin_order(world, one_class, login, api_as):
    page = login(world.user("registrar_a1")).get(f"/pupils/?school_class={one_class.pk}").content.decode()
    assert in_order(page, PINYIN_ORDER) == PINYIN_ORDER

    body = api_as("registrar_a1").get("/api/v1/pupils/", {"school_class": one_class.pk}).json()
    assert [row["name"] for row in body["results"]] == PINYIN_ORDER


def test_the_class_roster_pdf_lists_the_class_in_pinyin_order(world, one_class, login):
    with time_machine.travel(date(2026, 12, 4), tick=False):
        response = login(world.user("registrar_a1")).get(f"/classes/{one_class.pk}/roster.pdf")
    assert response.status_code == 200
    assert in_order(pdf_words(response.content), PINYIN_ORDER) == PINYIN_ORDER


def test_the_exported_roster_xlsx_is_in_pinyin_order(world, one_class):
    from tests.xueji.exports.helpers import add_leaders, approve
    from tests.xueji.exports.test_roster_export import ask_roster, roster_rows

    add_leaders(world)
    _, _, rows = roster_rows(approve(world, ask_roster(world, "registrar_a1", "a1_3_5")))
    assert [row["姓名"] for row in rows] == PINYIN_ORDER


def test_the_inbox_sorts_its_pupil_column_by_pinyin_on_request(world, login, api_as):
    from tests.transfers.conftest import start

    zhang, li = start(world), start(world, "a1_other")  # 张小明, 李晓燕
    # Due first: 张's step is the sooner one, so the default order has 张 above 李.
    zhang.steps.filter(position=0).update(due_at=timezone.now() + timedelta(days=1))
    li.steps.filter(position=0).update(due_at=timezone.now() + timedelta(days=9))
    client = login(world.user("headmaster_b1"))

    default = client.get("/inbox/").content.decode()
    assert default.index("张小明") < default.index("李晓燕")
    by_pupil = client.get("/inbox/?sort=pupil").content.decode()
    assert by_pupil.index("李晓燕") < by_pupil.index("张小明")
    assert "改按剩余工作日排列" in by_pupil and "改按剩余工作日排列" not in default

    api = api_as("headmaster_b1")

    def names(query):
        return [r["request"]["pupil_name"] for r in api.get(f"/api/v1/inbox/{query}").json()["results"]]

    assert names("") == ["张小明", "李晓燕"]
    assert names("?sort=pupil") == ["李晓燕", "张小明"]
    assert names("?sort=x") == ["张小明", "李晓燕"]  # an unknown order is the default, not an error


@time_machine.travel(date(2026, 10, 8), tick=False)
def test_the_class_filter_names_the_school_year_this_years_classes_first(world, login):
    next_year = SchoolYearFactory(start_year=2027, start_date=date(2027, 9, 1), end_date=date(2028, 8, 31))
    SchoolClassFactory(school=world.units["a1"], school_year=next_year, grade=3, number=1)
    page = login(world.user("registrar_a1")).get("/pupils/").content.decode()

    this_year, later = "2026学年 三年级（1）班", "2027学年 三年级（1）班"
    assert this_year in page and later in page
    assert page.index(this_year) < page.index("2026学年 三年级（2）班") < page.index(later)


def test_the_inbox_api_schema_describes_its_sort():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    [sort] = [p for p in schema["paths"]["/api/v1/inbox/"]["get"]["parameters"] if p["name"] == "sort"]
    assert sort["schema"]["enum"] == ["due", "pupil"] and "拼音" in sort["description"]
