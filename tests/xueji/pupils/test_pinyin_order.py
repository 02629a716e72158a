"""Names in pinyin order wherever people read lists (xueji.collation): the stored sort key
(name_sort) and its Python twin, the key kept in step wherever a name is set, the pupil list
(page and API, the same order), a class's roster (PDF and the exported xlsx), the inbox's pupil
column; and the class filter's labels that tell this year's classes from next year's.

The names are chosen so that code-point order (张 U+5F20, 李 U+674E, 王 U+738B, 赵 U+8D75,
阿 U+963F) differs from pinyin order (a, li, wang, zhang, zhao): every test fails on a list that
sorts by the name's code points, as a database in the C or C.UTF-8 locale does."""

import importlib
from datetime import date, timedelta
from itertools import combinations

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.utils import timezone

from tests.factories import SchoolClassFactory, SchoolYearFactory, make_pupil
from tests.pdfs import pdf_words
from tests.document_jobs import print_through_job
from xueji.codes import Gender
from xueji.collation import name_fields, name_sort_key, pinyin_sort_key
from xueji.pupils.models import Pupil, PupilEvent
from xueji.pupils.services import pupil_update

NAMES_BY_CODE_POINT = ["张一鸣", "李二妹", "王三强", "赵四海", "阿依古丽"]
PINYIN_ORDER = ["阿依古丽", "李二妹", "王三强", "张一鸣", "赵四海"]


def test_the_names_differ_in_code_point_and_pinyin_order():
    assert sorted(NAMES_BY_CODE_POINT) == NAMES_BY_CODE_POINT != PINYIN_ORDER


def test_the_python_key_sorts_by_pinyin():
    assert sorted(NAMES_BY_CODE_POINT, key=pinyin_sort_key) == PINYIN_ORDER
    # The same syllable: the tone decides (黎 lí, 李 lǐ, 力 lì).
    assert sorted(["李明", "黎明", "力明"], key=pinyin_sort_key) == ["黎明", "李明", "力明"]
    # Digits and punctuation before Chinese, Latin letters after.
    assert sorted(["Anna", "安娜", "1班"], key=pinyin_sort_key) == ["1班", "安娜", "Anna"]
    # Syllable by syllable: li-an before lian, a name before the longer names it begins.
    assert sorted(["连杰", "李安", "李"], key=pinyin_sort_key) == ["李", "李安", "连杰"]
    # A surname read its own way sorts under that reading (单 shàn, not dān), as the search reads it.
    assert sorted(["孙二", "单田芳", "丁一"], key=pinyin_sort_key) == ["丁一", "单田芳", "孙二"]


# Names whose keys are hard to get right as a string: syllables that begin others (li, lian;
# shan, sha), homophones, one-character names, surname readings, minority names with ·, Latin
# letters in either case, digits and a space.
TRICKY_NAMES = [
    "张", "张三", "李", "李安", "连", "连杰", "李连杰", "王", "赵", "阿", "阿依古丽", "单", "单田芳", "丹",
    "山", "沙", "善", "黎明", "李明", "力明", "里", "吕", "女", "曾", "增", "买买提·艾力", "买买", "Anna",
    "anna", "Anne", "Ann", "Zoe", "Li An", "Lian", "1", "12", "2", "A1", "·", "张·三", "安娜", "",
]


def test_the_stored_key_compares_as_a_string_exactly_as_the_python_key_does():
    for first, second in combinations(TRICKY_NAMES, 2):
        by_tuple = (pinyin_sort_key(first) > pinyin_sort_key(second)) - (pinyin_sort_key(first) < pinyin_sort_key(second))
        by_string = (name_sort_key(first) > name_sort_key(second)) - (name_sort_key(first) < name_sort_key(second))
        assert by_string == by_tuple, (first, second)
    # Different names never share a key (the order is total without the name).
    assert len({name_sort_key(name) for name in TRICKY_NAMES}) == len(TRICKY_NAMES)
    # Byte order (the "C" collation of PostgreSQL's UTF-8) is the code point order Python compares.
    assert sorted(TRICKY_NAMES, key=lambda n: name_sort_key(n).encode()) == sorted(TRICKY_NAMES, key=pinyin_sort_key)


def test_one_reading_of_a_name_gives_what_pypinyin_gives_in_each_style():
    """pypinyin is asked once per name, for the toned readings (name_readings); the display
    pinyin and the sort key derive theirs syllable by syllable (xueji.identity._toneless,
    xueji.collation._numbered). That is what pypinyin answers asked for the whole name in each
    style — Style.NORMAL without the characters it cannot read, Style.TONE3 with the neutral
    tone as 5 — for every character of its tables and every phrase (which reads characters
    otherwise: 了 le5 in 好了), and for names with ·, Latin letters and digits."""
    from pypinyin import Style, lazy_pinyin
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

    from xueji.collation import _numbered
    from xueji.identity import _toneless, name_readings

    unread = lambda chars: [""] * len(chars)  # noqa: E731 — pypinyin's errors= callback
    texts = [chr(code) for code in PINYIN_DICT] + list(PHRASES_DICT) + TRICKY_NAMES + ["李Anna", "张三1", "John·Smith"]
    for text in texts:
        readings = name_readings(text)
        assert len(readings) == len(text), text
        numbered = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, errors=unread)
        assert [_numbered(reading) if reading else "" for reading in readings] == numbered, text
        plain = lazy_pinyin(text.replace("·", " "), style=Style.NORMAL, errors="ignore")
        assert [_toneless(reading) for reading in readings if reading] == plain, text
    name_readings.cache_clear()


def test_one_function_derives_every_column_of_the_name():
    assert name_fields("单田芳") == {"pinyin": "shan tian fang", "search_pinyin": "shantianfang",
                                   "search_initials": "stf", "name_sort": name_sort_key("单田芳")}


@pytest.mark.django_db
def test_the_database_orders_the_stored_keys_byte_by_byte(world):
    """The column's own collation is "C", whatever the database's locale, and the database's
    order of the keys is Python's."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT collation_name FROM information_schema.columns "
                       "WHERE table_name = 'xueji_pupil' AND column_name = 'name_sort'")
        assert cursor.fetchone() == ("C",)
        keys = [name_sort_key(name) for name in TRICKY_NAMES]
        cursor.execute("SELECT k FROM unnest(%s::text[]) AS k ORDER BY k COLLATE \"C\"", [keys])
        assert [row[0] for row in cursor.fetchall()] == sorted(keys)


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
    names = Pupil.objects.filter(school_class=one_class).order_by("name_sort").values_list("name", flat=True)
    assert list(names) == PINYIN_ORDER
    # The model's default order too.
    assert list(Pupil.objects.filter(school_class=one_class).values_list("name", flat=True)) == PINYIN_ORDER


def test_a_new_name_gets_its_key_and_no_history_entry_of_its_own(world, one_class):
    """A changed name (an information change applies it with pupil_update) gets its new key with
    its new pinyin; the key is not a field of the history."""
    pupil = Pupil.objects.get(school_class=one_class, name="赵四海")
    assert pupil.name_sort == name_sort_key("赵四海")
    events = PupilEvent.objects.filter(pgh_obj_id=pupil.pk).count()
    pupil = pupil_update(actor=None, pupil=pupil, changes={"name": "艾四海"}, reason="更正姓名")
    assert (pupil.name_sort, pupil.search_pinyin) == (name_sort_key("艾四海"), "aisihai")
    assert PupilEvent.objects.filter(pgh_obj_id=pupil.pk).count() == events + 1
    names = Pupil.objects.filter(school_class=one_class).order_by("name_sort").values_list("name", flat=True)
    assert list(names) == ["阿依古丽", "艾四海", "李二妹", "王三强", "张一鸣"]


def test_the_migration_fills_the_key_of_existing_records(one_class):
    Pupil.objects.filter(school_class=one_class).update(name_sort="")
    migration = importlib.import_module("xueji.migrations.0022_pupil_names_in_pinyin_order")
    migration.fill_name_sort(apps, None)
    for name, key in Pupil.objects.filter(school_class=one_class).values_list("name", "name_sort"):
        assert key == name_sort_key(name)


def test_the_pupil_list_page_and_the_api_read_in_the_same_pinyin_order(world, one_class, login, api_as):
    page = login(world.user("registrar_a1")).get(f"/pupils/?school_class={one_class.pk}").content.decode()
    assert in_order(page, PINYIN_ORDER) == PINYIN_ORDER

    body = api_as("registrar_a1").get("/api/v1/pupils/", {"school_class": one_class.pk}).json()
    assert [row["name"] for row in body["results"]] == PINYIN_ORDER


def test_the_class_roster_pdf_lists_the_class_in_pinyin_order(world, one_class, login):
    with time_machine.travel(date(2026, 12, 4), tick=False):
        response = print_through_job(login(world.user("registrar_a1")), f"/classes/{one_class.pk}/roster.pdf")
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


def test_the_admission_list_without_records_reads_in_pinyin_order(world, login):
    """Children of an admission list have no record (no stored key): the page sorts them in Python."""
    from tests.enrollment.conftest import COLLECTING, admit, new_pupil_row

    admit(world.units["a1"], [new_pupil_row(row, name=name) for row, name in enumerate(NAMES_BY_CODE_POINT, start=2)],
          by=world.user("officer_a"))
    with time_machine.travel(COLLECTING, tick=False):
        response = login(world.user("registrar_a1")).get("/enrolment/pull/")
    assert response.status_code == 200
    assert in_order(response.content.decode(), PINYIN_ORDER) == PINYIN_ORDER
