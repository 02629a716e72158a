"""学籍核查 on the class page, one URL per action: the page writes nothing on GET (it says when the
class has changed since the list was made, and the head teacher refreshes it by POST); start,
refresh, save, the rest present, submit, add and remove a child on no list each post to their own
URL, answer only the class's head teacher, refuse a submitted roll-call or a closed window with
the page again (400), and refuse a GET (405)."""

from datetime import date

import pytest
from django.urls import reverse

from archives.rollcall import services as rollcall
from archives.rollcall.models import RollCall, RollCallEntry
from tests.archives.rollcall.helpers import AFTER, IN_WINDOW, frozen, mark_all, open_call, semester
from tests.factories import MembershipFactory, UserFactory, make_pupil
from xueji.accounts.models import AuditEntry, Role
from xueji.codes import PupilStatus
from xueji.pupils.models import Semester
from xueji.pupils.services import pupil_move, pupil_set_status


def class_url(world, key="a1_3_1") -> str:
    return reverse("archives:rollcall_class", args=[world.classes[key].pk])


def moved_in(world):
    """李晓燕 moves from 3(2) into teacher_a1's class 3(1)."""
    pupil_move(actor=None, pupil=world.pupils["a1_other"], school=world.units["a1"],
               school_class=world.classes["a1_3_1"], effective_date=IN_WINDOW, reason="调班")


def stored(roll_call) -> list[dict]:
    """Every field of every line, as stored."""
    return list(RollCallEntry.objects.filter(roll_call=roll_call).order_by("pk").values())


def test_a_get_of_the_class_page_writes_nothing_and_says_the_class_changed(world, login):
    semester(world)
    leaver = make_pupil(world.units["a1"], world.classes["a1_3_1"], name="陈二")
    roll_call = open_call(world)
    mark_all(world, roll_call)
    lines = stored(roll_call)
    assert {line["name"] for line in lines} == {"张小明", "陈二"}
    # Since the list was made: 李晓燕 moved in from 3(2), 陈二 was suspended.
    moved_in(world)
    pupil_set_status(actor=None, pupil=leaver, status=PupilStatus.SUSPENDED, effective_date=IN_WINDOW, reason="病休")
    with frozen(IN_WINDOW):
        client = login(world.user("teacher_a1"))
        audited = AuditEntry.objects.count()
        response = client.get(class_url(world))
    assert response.status_code == 200
    assert stored(roll_call) == lines
    assert AuditEntry.objects.count() == audited
    page = response.content.decode()
    assert "名单生成后本班学生有变动" in page and "李晓燕" in page and "陈二" in page
    assert reverse("archives:rollcall_refresh", args=[roll_call.pk]) in page

    with frozen(IN_WINDOW):
        response = client.post(reverse("archives:rollcall_refresh", args=[roll_call.pk]))
        assert response.status_code == 302 and response["Location"] == class_url(world)
        page = client.get(response["Location"]).content.decode()
    assert {e.name: e.present for e in roll_call.entries.all()} == {"张小明": True, "李晓燕": None}
    assert "名单已更新：新增 1 人（李晓燕），移出 1 人（陈二）" in page and "名单生成后本班学生有变动" not in page
    assert AuditEntry.objects.filter(action="archive.rollcall_refresh").count() == 1


# The URLs of the actions ---------------------------------------------------------------------------

ROLL_CALL_ACTIONS = {
    "refresh": "archives:rollcall_refresh",
    "save": "archives:rollcall_save",
    "rest_present": "archives:rollcall_rest_present",
    "finish": "archives:rollcall_finish",
    "add": "archives:rollcall_unlisted_add",
}


def action_url(roll_call, action: str) -> str:
    return reverse(ROLL_CALL_ACTIONS[action], args=[roll_call.pk])


def start_url(world, key="a1_3_1") -> str:
    return reverse("archives:rollcall_start", args=[world.classes[key].pk])


def remove_url(entry) -> str:
    return reverse("archives:rollcall_unlisted_remove", args=[entry.pk])


def every_action_url(world, roll_call, entry) -> dict[str, str]:
    return {"start": start_url(world), **{action: action_url(roll_call, action) for action in ROLL_CALL_ACTIONS},
            "remove": remove_url(entry)}


def with_unlisted(world, day=IN_WINDOW):
    """teacher_a1's open roll-call with a child on no list (王小虎)."""
    roll_call = open_call(world, day=day)
    entry = rollcall.rollcall_unlisted_add(actor=world.user("teacher_a1"), roll_call=roll_call, name="王小虎", today=day)
    return roll_call, entry


def message_in(response, text: str) -> bool:
    return text in response.content.decode()


# Each action, as it should go ----------------------------------------------------------------------

def test_start_opens_the_list_once(world, login):
    semester(world)
    with frozen(IN_WINDOW):
        client = login(world.user("teacher_a1"))
        response = client.post(start_url(world), follow=True)
        assert response.redirect_chain == [(class_url(world), 302)] and message_in(response, "已开始点名")
        # A second tab, a double click: the list as it is.
        assert client.post(start_url(world))["Location"] == class_url(world)
        # A class without a head teacher: its registrar calls the roll.
        assert login(world.user("registrar_a1")).post(start_url(world, "a1_3_2")).status_code == 302
    roll_call = RollCall.objects.get(school_class=world.classes["a1_3_1"])
    assert [e.name for e in roll_call.entries.all()] == ["张小明"]
    assert AuditEntry.objects.filter(action="archive.rollcall_open").count() == 2
    assert RollCall.objects.filter(school_class=world.classes["a1_3_2"]).exists()


def test_refresh_with_nothing_changed_says_so(world, login):
    roll_call = open_call(world)
    with frozen(IN_WINDOW):
        response = login(world.user("teacher_a1")).post(action_url(roll_call, "refresh"), follow=True)
    assert response.status_code == 200 and message_in(response, "名单与本班学生一致，无需更新")
    assert not AuditEntry.objects.filter(action="archive.rollcall_refresh").exists()


def test_save_and_the_rest_present(world, login):
    second = make_pupil(world.units["a1"], world.classes["a1_3_1"], name="陈二")
    roll_call = open_call(world)
    entries = {e.name: e for e in roll_call.entries.all()}
    with frozen(IN_WINDOW):
        client = login(world.user("teacher_a1"))
        second_line = entries["陈二"].pk
        response = client.post(action_url(roll_call, "save"), {f"present-{second_line}": "0", f"reason-{second_line}": "sick",
                                                              f"note-{second_line}": "发烧"})
        assert response.status_code == 302 and response["Location"] == class_url(world)
        assert {e.name: e.present for e in roll_call.entries.all()} == {"张小明": None, "陈二": False}
        response = client.post(action_url(roll_call, "rest_present"), follow=True)
    assert message_in(response, "点名结果已保存")
    marked = {e.name: (e.present, e.reason, e.note) for e in roll_call.entries.all()}
    assert marked == {"张小明": (True, "", ""), "陈二": (False, "sick", "发烧")}
    assert second.pk == entries["陈二"].pupil_id


def test_finish_submits_and_refuses_an_unmarked_line(world, login):
    make_pupil(world.units["a1"], world.classes["a1_3_1"], name="陈二")
    roll_call = open_call(world)
    first = roll_call.entries.get(name="张小明")
    with frozen(IN_WINDOW):
        client = login(world.user("teacher_a1"))
        response = client.post(action_url(roll_call, "finish"), {f"present-{first.pk}": "1", f"note-{first.pk}": "已到"})
        assert response.status_code == 400 and message_in(response, "还有 1 名学生未点名：陈二")
        assert message_in(response, 'value="已到"')  # what was typed
        everyone_present = {f"present-{e.pk}": "1" for e in roll_call.entries.all()}
        response = client.post(action_url(roll_call, "finish"), everyone_present, follow=True)
    assert message_in(response, "学籍核查结果已提交")
    roll_call.refresh_from_db()
    assert roll_call.status == RollCall.Status.DONE and roll_call.held_on == IN_WINDOW


def test_add_and_remove_a_child_on_no_list(world, login):
    roll_call = open_call(world)
    with frozen(IN_WINDOW):
        client = login(world.user("teacher_a1"))
        response = client.post(action_url(roll_call, "add"), {"name": " ", "note": "9月从外省来"})
        assert response.status_code == 400 and message_in(response, "请填写学生姓名")
        assert message_in(response, 'value="9月从外省来"')
        response = client.post(action_url(roll_call, "add"), {"name": "王小虎", "note": "9月从外省来"}, follow=True)
        assert message_in(response, "已添加名单外学生王小虎")
        added = roll_call.entries.get(name="王小虎")
        assert (added.kind, added.present) == ("unlisted", True)
        assert message_in(response, f'action="{remove_url(added)}"')
        # Only a child on no list is removed; one on the records is called.
        response = client.post(remove_url(roll_call.entries.get(name="张小明")))
        assert response.status_code == 400 and message_in(response, "只能删除名单外的学生")
        response = client.post(remove_url(added), follow=True)
    assert response.redirect_chain == [(class_url(world), 302)] and message_in(response, "已删除名单外学生王小虎")
    assert [e.name for e in roll_call.entries.all()] == ["张小明"]


@pytest.mark.parametrize("action", ["save", "rest_present", "finish", "add"])
def test_an_action_on_a_list_the_class_has_outgrown_refreshes_it_and_stops(world, login, action):
    roll_call = open_call(world)
    first = roll_call.entries.get(name="张小明")
    moved_in(world)
    with frozen(IN_WINDOW):
        response = login(world.user("teacher_a1")).post(
            action_url(roll_call, action), {f"present-{first.pk}": "1", f"note-{first.pk}": "已到", "name": "李晓燕"})
    assert response.status_code == 400
    assert message_in(response, "本班学生有变动，名单已更新：新增 1 人（李晓燕）。本次操作未执行")
    assert message_in(response, 'value="已到"')
    # The new line is there to be called; nothing was marked, added or submitted.
    assert {e.name: e.present for e in roll_call.entries.all()} == {"张小明": None, "李晓燕": None}
    roll_call.refresh_from_db()
    assert roll_call.status == RollCall.Status.OPEN


# Who may, and when ---------------------------------------------------------------------------------

def head_of_3_2(world):
    """Another class's head teacher: 3(2) of the same school."""
    teacher = UserFactory(username="teacher_a1_2")
    MembershipFactory(user=teacher, unit=world.units["a1"], role=Role.HEAD_TEACHER)
    world.classes["a1_3_2"].head_teacher = teacher
    world.classes["a1_3_2"].save(update_fields=["head_teacher"])
    world.users["teacher_a1_2"] = teacher
    return teacher


@pytest.mark.parametrize("user, status", [
    ("teacher_a1_2", 404),  # another class's head teacher does not see this one
    ("registrar_a1", 403), ("headmaster_a1", 403), ("officer_a", 403), ("city_officer", 403),  # they read it only
    ("registrar_a2", 404), ("registrar_b1", 404), ("headmaster_b1", 404), ("officer_b", 404),  # other schools, counties
])
def test_only_the_classs_head_teacher_acts(world, login, user, status):
    head_of_3_2(world)
    roll_call, entry = with_unlisted(world)
    lines = stored(roll_call)
    with frozen(IN_WINDOW):
        client = login(world.user(user))
        for action, url in every_action_url(world, roll_call, entry).items():
            assert client.post(url, {"name": "陈某", f"present-{entry.pk}": "1"}).status_code == status, action
    assert stored(roll_call) == lines and RollCall.objects.count() == 1
    roll_call.refresh_from_db()
    assert roll_call.status == RollCall.Status.OPEN
    if status == 403:
        assert AuditEntry.objects.filter(action="permission.denied", detail__contains="只有本班班主任可以点名核查").count() == 7


def test_a_submitted_roll_call_is_refused_on_every_action(world, login):
    roll_call, entry = with_unlisted(world)
    mark_all(world, roll_call)
    rollcall.rollcall_finish(actor=world.user("teacher_a1"), roll_call=roll_call, today=IN_WINDOW)
    lines = stored(roll_call)
    with frozen(IN_WINDOW):
        client = login(world.user("teacher_a1"))
        for action, url in every_action_url(world, roll_call, entry).items():
            response = client.post(url, {"name": "陈某"})
            if action == "start":
                assert response.status_code == 302  # started already: the page as it is
            else:
                assert response.status_code == 400 and message_in(response, "本班的学籍核查已提交"), action
    assert stored(roll_call) == lines


def test_after_the_window_every_action_is_refused(world, login):
    roll_call, entry = with_unlisted(world)
    lines = stored(roll_call)
    urls = every_action_url(world, roll_call, entry)
    with frozen(AFTER):
        client = login(world.user("teacher_a1"))
        for action, url in urls.items():
            if action != "start":
                response = client.post(url, {"name": "陈某"})
                assert response.status_code == 400 and message_in(response, "已于 2026-09-30 结束"), action
        # A class not started in the window cannot start after it (3(2): its registrar calls the roll).
        response = login(world.user("registrar_a1")).post(start_url(world, "a1_3_2"))
        assert response.status_code == 400 and message_in(response, "已于 2026-09-30 结束")
    assert stored(roll_call) == lines and RollCall.objects.count() == 1


def test_last_semesters_roll_call_is_not_marked_in_this_one(world, login):
    roll_call = open_call(world)
    Semester.objects.create(school_year=roll_call.semester.school_year, term=Semester.Term.SECOND,
                            start_date=date(2027, 2, 22), end_date=date(2027, 7, 10))
    with frozen(date(2027, 3, 1)):
        response = login(world.user("teacher_a1")).post(action_url(roll_call, "save"))
    assert response.status_code == 400 and message_in(response, "只能核查本学期")


def test_the_actions_are_posts_only(world, login):
    roll_call, entry = with_unlisted(world)
    with frozen(IN_WINDOW):
        client = login(world.user("teacher_a1"))
        for action, url in every_action_url(world, roll_call, entry).items():
            assert client.get(url).status_code == 405, action
        # And the page itself only reads.
        assert client.post(class_url(world), {"action": "save"}).status_code == 405
