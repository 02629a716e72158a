"""The pupil list: search by name, pinyin, 学籍号 and ID number; filters; paging; bad input."""

import pytest

from tests.factories import make_pupil
from xueji.codes import Gender, NumberKind, PupilStatus
from xueji.pupils.numbers import pupil_assign_number
from xueji.pupils.scoping import pupils_visible_to
from xueji.pupils.selectors import pupil_search, search_kind
from xueji.pupils.services import pupil_set_status


@pytest.mark.parametrize(
    "query, kind",
    [
        ("张小明", "name"),
        ("zhangxm", "pinyin"),
        ("ZXM", "pinyin"),
        ("G220122201803141234", "student_number"),
        ("l2201222018", "student_number"),
        ("220122201803141234", "id_number"),
        ("22012220180314123x", "id_number"),
        ("2201222018", "id_number"),
    ],
)
def test_search_kind(query, kind):
    assert search_kind(query) == kind


def names(user, query):
    return set(pupil_search(pupils_visible_to(user), query).values_list("name", flat=True))


def test_search_by_name_and_part_of_it(world):
    officer = world.user("officer_a")
    assert names(officer, "张小明") == {"张小明"}
    assert names(officer, "小明") == {"张小明"}
    assert names(officer, "王") == {"王大伟"}


def test_search_by_pinyin_full_or_initials_from_the_start(world):
    officer = world.user("officer_a")
    assert names(officer, "zhangxiao") == {"张小明"}
    assert names(officer, "zhang xiao") == {"张小明"}
    assert names(officer, "zxm") == {"张小明"}
    assert names(officer, "xiaoming") == set()  # pinyin matches from the start of the name


def test_search_by_student_number_current_former_and_prefix(world):
    officer = world.user("officer_a")
    pupil = make_pupil(world.units["a1"], world.classes["a1_3_1"], name="孙悦", number_kind=NumberKind.TEMPORARY)
    temporary = pupil.student_number
    pupil_assign_number(pupil=pupil, kind=NumberKind.FROM_ID, reason="核验")
    assert names(officer, temporary) == {"孙悦"}  # a former number still finds the pupil
    assert names(officer, "G" + pupil.id_number) == {"孙悦"}
    assert "孙悦" in names(officer, "G" + pupil.id_number[:10])


def test_search_by_full_id_number_only(world):
    officer = world.user("officer_a")
    pupil = world.pupils["a2"]
    assert names(officer, pupil.id_number) == {"王大伟"}
    assert names(officer, pupil.id_number.lower()) == {"王大伟"}
    # The number is encrypted and found by its blind index: its first digits find nothing (the
    # 学籍号, "G" + the number, stays plain and its beginning still finds the pupil).
    assert names(officer, pupil.id_number[:12]) == set()
    assert "王大伟" in names(officer, "G" + pupil.id_number[:12])


def test_search_never_leaves_the_scope(world):
    assert names(world.user("registrar_a1"), world.pupils["b1"].id_number) == set()
    assert names(world.user("registrar_a1"), "刘思远") == set()


def test_list_page_filters(login, world):
    client = login(world.user("officer_a"))
    pupil_set_status(actor=None, pupil=world.pupils["a2"], status=PupilStatus.SUSPENDED, effective_date=world.pupils["a2"].entry_date, reason="病休")
    body = client.get(f"/pupils/?school={world.units['a1'].pk}").content.decode()
    assert "张小明" in body and "王大伟" not in body
    body = client.get("/pupils/?grade=8").content.decode()
    assert "王大伟" in body and "张小明" not in body
    body = client.get(f"/pupils/?school_class={world.classes['a1_3_2'].pk}").content.decode()
    assert "李晓燕" in body and "张小明" not in body
    body = client.get("/pupils/?status=suspended").content.decode()
    assert "王大伟" in body and "张小明" not in body


@pytest.mark.parametrize(
    "query",
    ["grade=x", "grade=12", "school=abc", "school=99999999999999999999", "status=nope", "page=abc",
     "page=99999", "q=" + "张" * 80, "school_class=-1", "q=%00"],
)
def test_bad_filter_values_give_a_chinese_message_not_an_error(login, world, query):
    response = login(world.user("registrar_a1")).get(f"/pupils/?{query}")
    assert response.status_code == 200
    body = response.content.decode()
    assert "共" in body and "名学生" in body


def test_bad_choice_is_explained(login, world):
    body = login(world.user("registrar_a1")).get("/pupils/?grade=12").content.decode()
    assert "不是可选的值" in body


def test_htmx_request_gets_only_the_results(login, world):
    client = login(world.user("registrar_a1"))
    response = client.get("/pupils/?q=张", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="pupil-results")
    body = response.content.decode()
    assert "张小明" in body and "<html" not in body


def test_list_is_paged(login, world):
    for index in range(55):
        make_pupil(world.units["b1"], None, grade=3, name="陈" + "一二三四五六七八九十"[index % 10] * 2,
                   gender=Gender.FEMALE, area="220182")
    client = login(world.user("registrar_b1"))
    first = client.get("/pupils/").content.decode()
    second = client.get("/pupils/?page=2").content.decode()
    assert "共 56 名学生，第 1 / 2 页" in first
    assert "第 2 / 2 页" in second


def test_huge_id_in_url_is_a_404(login, world):
    client = login(world.user("registrar_a1"))
    assert client.get("/pupils/99999999999999999999/").status_code == 404
    assert client.get("/api/v1/pupils/99999999999999999999/").status_code == 404


def test_pupil_page_shows_record_sections(login, world):
    body = login(world.user("registrar_a1")).get(f"/pupils/{world.pupils['a1'].pk}/").content.decode()
    for heading in ("基本信息", "辅助信息", "学籍信息", "联系信息", "扩展信息", "交通方式", "家庭成员", "学籍号",
                    "学籍状态变动", "信息变更记录"):
        assert f"<h2>{heading}</h2>" in body
    assert world.pupils["a1"].id_number in body


def test_head_teacher_sees_masked_record(login, world):
    pupil = world.pupils["a1"]
    body = login(world.user("teacher_a1")).get(f"/pupils/{pupil.pk}/").content.decode()
    assert pupil.id_number not in body
    assert pupil.id_number[:4] + "**********" + pupil.id_number[-4:] in body
    assert "仅学籍管理员、校长和县教育局可见" in body
    guardian = pupil.guardians.first()
    assert guardian.id_number not in body


def test_as_of_date_with_bad_format_is_explained(login, world):
    body = login(world.user("registrar_a1")).get(f"/pupils/{world.pupils['a1'].pk}/?as_of=2026-13-45").content.decode()
    assert "日期格式应为" in body


def test_class_of_another_county_is_refused_with_a_message(login, world):
    body = login(world.user("registrar_a1")).get(f"/pupils/?school_class={world.classes['b1_3_1'].pk}").content.decode()
    assert "没有这个班级，或您无权查看" in body
    assert "刘思远" not in body


def test_class_list_offers_one_school_at_a_time(login, world):
    client = login(world.user("officer_a"))
    body = client.get("/pupils/").content.decode()
    assert 'name="school_class"' not in body  # several schools, none chosen
    body = client.get(f"/pupils/?school={world.units['a1'].pk}").content.decode()
    assert "三年级（1）班" in body and "三年级（2）班" in body and "八年级（1）班" not in body


def test_filter_by_kind_of_number(login, world):
    make_pupil(world.units["a1"], world.classes["a1_3_1"], name="孙悦", number_kind=NumberKind.TEMPORARY)
    body = login(world.user("registrar_a1")).get("/pupils/?number_kind=L").content.decode()
    assert "孙悦" in body and "张小明" not in body


def test_count_stops_at_the_cap(world, settings):
    from xueji.paginators import CappedPaginator
    from xueji.pupils.models import Pupil

    paginator = CappedPaginator(Pupil.objects.order_by("pk"), 2)
    paginator.cap = 3
    assert (paginator.count, paginator.capped, paginator.num_pages) == (4, True, 2)
    paginator = CappedPaginator(Pupil.objects.filter(school=world.units["a1"]).order_by("pk"), 2)
    assert (paginator.count, paginator.capped) == (2, False)


def test_the_first_digits_of_an_id_number_find_nothing_and_the_page_says_why(login, world):
    client = login(world.user("officer_a"))
    body = client.get("/pupils/", {"q": world.pupils["a2"].id_number[:10]}).content.decode()
    assert "没有符合条件的学生" in body
    assert "按身份证件号搜索需输入完整号码" in body
    body = client.get("/pupils/", {"q": world.pupils["a2"].id_number}).content.decode()
    assert "王大伟" in body and "按身份证件号搜索需输入完整号码" not in body


@pytest.mark.parametrize("username", ["city_officer", "officer_a", "central_a3", "registrar_a1", "teacher_a1", "headmaster_b1"])
def test_scope_school_ids_hold_every_school_of_the_scope(world, username):
    # The pinyin search narrows to these schools as well: a school of the scope left out would
    # hide its pupils from the search.
    from xueji.pupils.scoping import pupil_scope_school_ids

    user = world.user(username)
    in_scope = set(pupils_visible_to(user).values_list("school_id", flat=True))
    assert in_scope and in_scope <= set(pupil_scope_school_ids(user))


def test_scope_school_ids_stay_in_the_scope(world):
    from xueji.pupils.scoping import pupil_scope_school_ids

    assert pupil_scope_school_ids(world.user("registrar_a1")) == [world.units["a1"].pk]
    assert world.units["b1"].pk not in pupil_scope_school_ids(world.user("officer_a"))
    assert {world.units["a1"].pk, world.units["b1"].pk} <= set(pupil_scope_school_ids(world.user("city_officer")))


@pytest.mark.parametrize("username", ["city_officer", "officer_a", "central_a3", "registrar_a1", "teacher_a1"])
@pytest.mark.parametrize("query", ["zhang", "zhangxiao", "zxm", "wang", "wdw", "liu", "z", "小明", "大伟", "思远", "张小"])
def test_search_by_school_finds_what_the_scope_alone_finds(world, username, query):
    from xueji.pupils.scoping import pupil_scope_school_ids

    user = world.user(username)
    by_school = pupil_search(pupils_visible_to(user), query, school_ids=pupil_scope_school_ids(user))
    assert set(by_school.values_list("pk", flat=True)) == set(pupil_search(pupils_visible_to(user), query).values_list("pk", flat=True))


def test_pinyin_search_of_the_page_and_the_api_lists_the_scope_schools(login, world):
    # The list's filter hands the scope's schools to the pinyin search (the index is per school):
    # the city officer finds pupils of both counties, a county officer only its own.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    city = login(world.user("city_officer"))
    body = city.get("/pupils/?q=liu").content.decode()
    assert "刘思远" in body
    with CaptureQueriesContext(connection) as queries:
        body = city.get("/pupils/?q=zhangxiao").content.decode()
    assert "张小明" in body
    pupil_queries = [q["sql"] for q in queries if "search_pinyin" in q["sql"]]
    assert pupil_queries and all(f'"xueji_pupil"."school_id" IN (' in sql for sql in pupil_queries)


def test_two_character_search_over_more_schools_than_a_county_leaves_them_to_the_scope(world):
    # A GIN index is searched once per school listed (and may be once per school of the scope's
    # join too): over a county's number of schools the list costs more than it saves.
    from xueji.pupils.scoping import pupil_scope_school_ids
    from xueji.pupils.selectors import TWO_CHARACTER_SCHOOL_LIST_MAX

    user = world.user("city_officer")
    schools = pupil_scope_school_ids(user)
    many = schools + list(range(10**9, 10**9 + TWO_CHARACTER_SCHOOL_LIST_MAX))
    listed, left = pupil_search(pupils_visible_to(user), "小明", schools), pupil_search(pupils_visible_to(user), "小明", many)
    assert '"xueji_pupil"."school_id" IN (' in str(listed.query)
    assert '"xueji_pupil"."school_id" IN (' not in str(left.query)
    assert set(left.values_list("pk", flat=True)) == set(listed.values_list("pk", flat=True)) == {world.pupils["a1"].pk}


@pytest.mark.parametrize("path", ["/pupils/?q=小明", "/api/v1/pupils/?search=小明"])
def test_two_character_search_of_the_page_and_the_api_lists_the_scope_schools(login, world, path):
    # A name of two characters is answered by an index led by the school (pupil_school_name_bigrams):
    # the list's filter hands it the scope's schools, and the scope still decides.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xueji.pupils.scoping import pupil_scope_school_ids

    for username, found in (("city_officer", True), ("officer_b", False)):
        client = login(world.user(username))
        with CaptureQueriesContext(connection) as queries:
            body = client.get(path).content.decode()
        assert ("张小明" in body) is found
        pupil_queries = [q["sql"] for q in queries if "regexp_replace" in q["sql"]]
        schools = ", ".join(str(pk) for pk in pupil_scope_school_ids(world.user(username)))
        assert pupil_queries and all(f'"xueji_pupil"."school_id" IN ({schools})' in sql for sql in pupil_queries)


def test_school_drop_down_lists_the_scope_and_keeps_the_chosen_school(login, world):
    client = login(world.user("officer_a"))
    a1 = world.units["a1"]
    body = client.get(f"/pupils/?school={a1.pk}").content.decode()
    assert f'<option value="{a1.pk}" selected>{a1.name}</option>' in body
    assert f'<option value="{world.units["a2"].pk}">{world.units["a2"].name}</option>' in body
    assert '<option value="">全部学校</option>' in body
    assert world.units["b1"].name not in body  # another county's school


def test_select_options_escape_the_labels():
    from xueji.templatetags.xueji_tags import select_options

    html = select_options([("", "全部学校"), (7, "<b>第7小学</b>"), (8, "第8小学")], "8")
    assert html == ('<option value="">全部学校</option><option value="7">&lt;b&gt;第7小学&lt;/b&gt;</option>'
                    '<option value="8" selected>第8小学</option>')
    assert '<option value="" selected>' in select_options([("", "全部学校"), (1, "甲")], None)


def test_pinyin_search_pages_are_the_either_prefix_list_in_list_order(world):
    # PinyinSearchResults reads a page as two ordered statements (full pinyin, initials) merged:
    # every page must be exactly the page of the OR of the two prefixes in list order, a pupil
    # matching both listed once, whatever the page's offset.
    from xueji.paginators import CappedPaginator
    from xueji.pupils.scoping import pupil_scope_school_ids
    from xueji.pupils.selectors import PinyinSearchResults, pupil_list

    school = world.units["a1"]
    # "zh…" is both the full pinyin of 张… and the initials of 周华…; 郑 and 钟 add more of each.
    for name in ["张华", "周华", "郑红", "钟浩", "赵海", "张海洋", "朱航", "曾辉", "庄恒", "诸葛亮"]:
        make_pupil(school, name=name)
    user = world.user("officer_a")
    either = pupil_search(pupil_list(user), "zh")
    expected = list(either.values_list("pk", flat=True))
    assert len(expected) >= 12 and len(set(expected)) == len(expected)
    results = PinyinSearchResults(pupil_list(user), "zh", pupil_scope_school_ids(user))
    for start, stop in [(0, 5), (5, 10), (3, 11), (10, 50)]:
        assert [p.pk for p in results[start:stop]] == expected[start:stop]
    paginator = CappedPaginator(results, 5)
    assert paginator.count == len(expected)
    assert [p.pk for p in paginator.page(2).object_list] == expected[5:10]
    # The rows are whole pupils with their school, as the list shows them.
    first = results[0:1][0]
    assert first.pk == expected[0] and "school" in first._state.fields_cache
