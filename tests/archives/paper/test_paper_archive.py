"""纸质学籍档案 (archives/paper/services.py): the checklist each pupil's file must hold, derived from the
pupil's approved changes and their proof's labels; the registrar's marks and boxes, one file or a
class at once; a school's completeness by class and the list of what is missing; the bureau's
table of its schools; who may mark and who may read (pages and API)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from archives.paper import services as paper
from archives.paper.models import PaperFile, PaperMark
from tests.archives.rollcall.helpers import approved_change
from tests.factories import make_pupil
from xueji.accounts.models import AuditEntry
from xueji.approvals.models import ChangeRequest
from xueji.codes import PupilStatus
from xueji.pupils.services import pupil_move, pupil_set_status


def checklist(pupil):
    pupil.refresh_from_db()
    return paper.checklists_for([pupil])[0]


def keys(pupil) -> list[str]:
    return [item.key for item in checklist(pupil).items]


# What a file must hold -----------------------------------------------------------------------

def test_checklist_is_the_two_sheets_then_each_approved_change_with_a_form_and_its_proofs_labels(world):
    pupil = world.pupils["a1"]
    change = approved_change(world, pupil, kind="suspension", labels=("医务证明书", "医务证明书", "家长书面申请", ""))
    # Neither a pending nor a rejected request is a change the pupil went through.
    ChangeRequest.objects.create(kind="transfer", pupil=pupil, status="rejected", started_by=world.user("registrar_a1"),
                                 started_unit=pupil.school)
    items = checklist(pupil).items

    assert [(i.key, i.label) for i in items] == [
        ("registration_form", "学生登记表"),
        ("info_sheet", "学籍基本信息表"),
        (f"req{change.pk}:form", "休学申请表（签字盖章）"),
        (f"req{change.pk}:医务证明书", "医务证明书"),  # two pages of one proof: one item
        (f"req{change.pk}:家长书面申请", "家长书面申请"),
        (f"req{change.pk}:proof", "证明材料"),  # proof uploaded without a label
    ]
    assert items[2].group == "休学（2026-10-12 批准）"
    assert all(i.state == paper.UNCHECKED for i in items)


def test_a_change_approved_later_makes_a_complete_file_incomplete(world):
    registrar, pupil = world.user("registrar_a1"), world.pupils["a1"]
    paper.paper_checklists_mark_bulk(actor=registrar, school=pupil.school, pupil_ids=[pupil.pk], action="all:present")
    assert checklist(pupil).state == paper.FILE_COMPLETE

    change = approved_change(world, pupil, kind="cancellation", labels=("监护人书面申请",))

    after = checklist(pupil)
    assert after.state == paper.FILE_UNCHECKED
    assert [i.key for i in after.unchecked] == [f"req{change.pk}:form", f"req{change.pk}:监护人书面申请"]


# Marking -------------------------------------------------------------------------------------

def test_one_file_marked_item_by_item_with_its_box(world):
    registrar, pupil = world.user("registrar_a1"), world.pupils["a1"]
    result = paper.paper_checklist_mark(actor=registrar, pupil=pupil, box_number=" A-03 ",
                                        marks={"registration_form": True, "info_sheet": False})
    assert result.box_number == "A-03"
    assert [(i.key, i.state) for i in result.items] == [("registration_form", "present"), ("info_sheet", "missing")]
    assert result.state == paper.FILE_MISSING
    # Marked again: corrected in place, not duplicated.
    paper.paper_checklist_mark(actor=registrar, pupil=pupil, marks={"info_sheet": True})
    assert checklist(pupil).state == paper.FILE_COMPLETE and PaperMark.objects.count() == 2
    assert AuditEntry.objects.filter(action="archive.paper", object_id=str(pupil.pk)).count() == 2


def test_marking_an_item_the_file_need_not_hold_is_refused(world):
    with pytest.raises(ValidationError, match="档案清单中没有"):
        paper.paper_checklist_mark(actor=world.user("registrar_a1"), pupil=world.pupils["a1"], marks={"req999:form": True})


def test_only_the_pupils_schools_registrar_marks(world):
    pupil = world.pupils["a1"]
    for name in ("headmaster_a1", "teacher_a1", "registrar_a2", "officer_a", "registrar_b1"):
        with pytest.raises(PermissionDenied):
            paper.paper_checklist_mark(actor=world.user(name), pupil=pupil, marks={"info_sheet": True})
        with pytest.raises(PermissionDenied):
            paper.paper_checklists_mark_bulk(actor=world.user(name), school=pupil.school, pupil_ids=[pupil.pk], action="all:present")
    assert not PaperMark.objects.exists()


def test_a_pupil_who_left_has_a_closed_file(world):
    pupil = world.pupils["a1"]
    pupil_set_status(actor=None, pupil=pupil, status=PupilStatus.TRANSFERRED_OUT, effective_date=pupil.entry_date, reason="转出")
    pupil.refresh_from_db()
    with pytest.raises(ValidationError, match="不在本校学籍"):
        paper.paper_checklist_mark(actor=world.user("registrar_a1"), pupil=pupil, marks={"info_sheet": True})
    with pytest.raises(ValidationError, match="不在本校学籍"):
        paper.paper_checklists_mark_bulk(actor=world.user("registrar_a1"), school=pupil.school, pupil_ids=[pupil.pk],
                                         action="all:present")


def test_bulk_marks_a_class_in_one_action_and_one_item_of_some(world, django_assert_max_num_queries):
    registrar, school = world.user("registrar_a1"), world.units["a1"]
    pupils = [world.pupils["a1"], *[make_pupil(school, world.classes["a1_3_1"], name=f"王{n}明") for n in "一二三四五六七八"]]
    changed = approved_change(world, pupils[3], labels=("医务证明书",))
    ids = [p.pk for p in pupils]

    # Forty-five files or nine: the same few statements.
    with django_assert_max_num_queries(12):
        assert paper.paper_checklists_mark_bulk(actor=registrar, school=school, pupil_ids=ids, action="all:present") == 9
    paper.paper_checklists_mark_bulk(actor=registrar, school=school, pupil_ids=ids, action="box", box_number="2026-3-01")
    paper.paper_checklists_mark_bulk(actor=registrar, school=school, pupil_ids=[pupils[1].pk], action="info_sheet:missing")
    paper.paper_checklists_mark_bulk(actor=registrar, school=school, pupil_ids=ids, action="changes:missing")

    lists = {c.pupil.pk: c for c in paper.checklists_for(pupils)}
    assert all(c.box_number == "2026-3-01" for c in lists.values())
    assert [i.key for i in lists[pupils[1].pk].missing] == ["info_sheet"]
    assert [i.key for i in lists[pupils[3].pk].missing] == [f"req{changed.pk}:form", f"req{changed.pk}:医务证明书"]
    assert sum(c.state == paper.FILE_COMPLETE for c in lists.values()) == 7


def test_bulk_refuses_another_schools_pupils_an_unknown_action_and_a_box_without_a_number(world):
    registrar, school = world.user("registrar_a1"), world.units["a1"]
    with pytest.raises(ValidationError, match="不在本校学籍"):
        paper.paper_checklists_mark_bulk(actor=registrar, school=school, pupil_ids=[world.pupils["b1"].pk], action="all:present")
    with pytest.raises(ValidationError, match="请选择要执行的操作"):
        paper.paper_checklists_mark_bulk(actor=registrar, school=school, pupil_ids=[world.pupils["a1"].pk], action="delete")
    with pytest.raises(ValidationError, match="请填写档案盒号"):
        paper.paper_checklists_mark_bulk(actor=registrar, school=school, pupil_ids=[world.pupils["a1"].pk], action="box")
    assert not PaperMark.objects.exists() and not PaperFile.objects.exclude(box_number="").exists()


def test_after_a_transfer_the_receiving_school_checks_the_file_again(world):
    pupil = world.pupils["a1"]
    paper.paper_checklists_mark_bulk(actor=world.user("registrar_a1"), school=pupil.school, pupil_ids=[pupil.pk], action="all:present")
    paper.paper_checklists_mark_bulk(actor=world.user("registrar_a1"), school=pupil.school, pupil_ids=[pupil.pk], action="box",
                                     box_number="A1-9")
    pupil_move(actor=None, pupil=pupil, school=world.units["b1"], school_class=world.classes["b1_3_1"], reason="转学",
               effective_date=pupil.entry_date)

    at_b1 = checklist(pupil)
    assert at_b1.state == paper.FILE_UNCHECKED and at_b1.box_number == ""
    # A1's marks stay what they were when the file left.
    assert PaperFile.objects.get(pupil=pupil, school=world.units["a1"]).box_number == "A1-9"


# Completeness ------------------------------------------------------------------------------

def test_school_completeness_counts_by_class_and_lists_what_is_missing(world):
    registrar, school = world.user("registrar_a1"), world.units["a1"]
    second = make_pupil(school, world.classes["a1_3_1"], name="陈二")
    third = make_pupil(school, world.classes["a1_3_1"], name="陈三")
    other = world.pupils["a1_other"]
    # a1: complete and boxed; 陈二: info sheet missing, boxed; 陈三: half checked, no box; a1_other: untouched.
    paper.paper_checklists_mark_bulk(actor=registrar, school=school, pupil_ids=[world.pupils["a1"].pk, second.pk], action="all:present")
    paper.paper_checklists_mark_bulk(actor=registrar, school=school, pupil_ids=[world.pupils["a1"].pk, second.pk], action="box", box_number="1")
    paper.paper_checklist_mark(actor=registrar, pupil=second, marks={"info_sheet": False})
    paper.paper_checklist_mark(actor=registrar, pupil=third, marks={"registration_form": True})

    total, classes, lacking = paper.school_completeness(school)

    assert (total.pupils, total.complete, total.with_missing, total.unchecked, total.no_box, total.missing_items) == (4, 1, 1, 2, 2, 1)
    by_class = {row.label: row for row in classes}
    assert (by_class["三年级（1）班"].pupils, by_class["三年级（1）班"].complete, by_class["三年级（1）班"].with_missing) == (3, 1, 1)
    assert (by_class["三年级（2）班"].pupils, by_class["三年级（2）班"].unchecked, by_class["三年级（2）班"].no_box) == (1, 1, 1)
    assert [(c.pupil.name, [i.label for i in c.missing]) for c in lacking] == [("陈二", ["学籍基本信息表"])]
    assert other.pk not in [c.pupil.pk for c in lacking]


def test_a_bureau_sees_each_of_its_schools_completeness_and_no_other_countys(world):
    paper.paper_checklists_mark_bulk(actor=world.user("registrar_a1"), school=world.units["a1"],
                                     pupil_ids=[world.pupils["a1"].pk], action="all:present")
    rows = {row.label: row for row in paper.schools_completeness(world.user("officer_a"))}
    assert set(rows) == {"农安县实验小学", "农安县第一中学", "合隆镇陈家店小学"}
    assert (rows["农安县实验小学"].pupils, rows["农安县实验小学"].complete) == (2, 1)
    assert {row.label for row in paper.schools_completeness(world.user("officer_b"))} == {"榆树市实验小学", "榆树市第二中学"}
    assert {row.label for row in paper.schools_completeness(world.user("central_a3"))} == {"合隆镇陈家店小学"}
    assert paper.schools_completeness(world.user("teacher_a1")) == []


# Pages -------------------------------------------------------------------------------------

def test_registrar_marks_a_whole_class_on_its_page_then_one_missing_sheet(world, login):
    client = login(world.user("registrar_a1"))
    school_class = world.classes["a1_3_1"]
    second = make_pupil(world.units["a1"], school_class, name="陈二")
    url = f"/archives/paper/classes/{school_class.pk}/"

    response = client.post(url, {"scope": "class", "action": "all:present"})
    assert response.status_code == 302
    response = client.post(url, {"scope": "selected", "pupils": [second.pk], "action": "info_sheet:missing"})
    assert response.status_code == 302
    body = client.get(url).content.decode()
    assert "完整 1，缺材料 1" in body

    school_page = client.get(f"/archives/paper/schools/{world.units['a1'].pk}/").content.decode()
    assert "缺失材料清单" in school_page and "陈二" in school_page and "学籍基本信息表" in school_page


def test_registrar_marks_one_file_on_the_pupils_page(world, login):
    client = login(world.user("registrar_a1"))
    pupil = world.pupils["a1"]
    response = client.post(f"/archives/paper/pupils/{pupil.pk}/", {
        "key": ["registration_form", "info_sheet"], "state-0": "present", "state-1": "missing", "box_number": "B-7",
    })
    assert response.status_code == 302
    result = checklist(pupil)
    assert result.box_number == "B-7" and [i.state for i in result.items] == ["present", "missing"]
    # The pupil's page links to the file.
    assert f"/archives/paper/pupils/{pupil.pk}/" in client.get(f"/pupils/{pupil.pk}/").content.decode()


def test_headmaster_reads_but_cannot_mark_and_the_head_teacher_has_no_paper_pages(world, login):
    school_class = world.classes["a1_3_1"]
    client = login(world.user("headmaster_a1"))
    assert client.get(f"/archives/paper/classes/{school_class.pk}/").status_code == 200
    assert client.post(f"/archives/paper/classes/{school_class.pk}/", {"scope": "class", "action": "all:present"}).status_code == 403
    assert not PaperMark.objects.exists()
    client = login(world.user("teacher_a1"))
    assert client.get("/archives/paper/").status_code == 403
    assert client.get(f"/archives/paper/classes/{school_class.pk}/").status_code == 404
    assert client.get(f"/archives/paper/pupils/{world.pupils['a1'].pk}/").status_code == 404


def test_another_schools_and_another_countys_files_are_not_found(world, login):
    for name, school in (("registrar_a2", "a1"), ("registrar_b1", "a1"), ("officer_b", "a1"), ("officer_a", "b1")):
        client = login(world.user(name))
        assert client.get(f"/archives/paper/schools/{world.units[school].pk}/").status_code == 404, name
        pupil = world.pupils[school]
        assert client.get(f"/archives/paper/pupils/{pupil.pk}/").status_code == 404, name
        assert client.post(f"/archives/paper/pupils/{pupil.pk}/", {"key": ["info_sheet"], "state-0": "present"}).status_code == 404


def test_bureau_page_lists_its_schools_completeness(world, login):
    body = login(world.user("officer_a")).get("/archives/paper/").content.decode()
    assert "各校完整情况" in body and "农安县第一中学" in body and "榆树市实验小学" not in body


# API ---------------------------------------------------------------------------------------

def test_api_checklist_marking_and_completeness(world, api_as):
    pupil = world.pupils["a1"]
    client = api_as("registrar_a1")
    body = client.get(f"/api/v1/archive-checklists/{pupil.pk}/").json()
    assert body["file_state"] == "unchecked" and [i["key"] for i in body["items"]] == ["registration_form", "info_sheet"]

    response = client.patch(f"/api/v1/archive-checklists/{pupil.pk}/", {"items": {"registration_form": True, "info_sheet": True},
                                                                        "box_number": "C-1"}, format="json")
    assert response.status_code == 200 and response.json()["file_state"] == "complete"

    response = client.post("/api/v1/archive-checklists/bulk/", {"school_class": world.classes["a1_3_2"].pk,
                                                               "bulk_action": "registration_form:missing"}, format="json")
    assert response.status_code == 200 and response.json() == {"files": 1}

    rows = client.get("/api/v1/archive-checklists/completeness/", {"school": world.units["a1"].pk}).json()
    assert [(r["label"], r["pupils"], r["complete"], r["with_missing"]) for r in rows] == [
        ("农安县实验小学", 2, 1, 1), ("三年级（1）班", 1, 1, 0), ("三年级（2）班", 1, 0, 1)]
    listed = client.get("/api/v1/archive-checklists/", {"file_state": "missing"}).json()
    assert [row["pupil_name"] for row in listed["results"]] == ["李晓燕"]


def test_api_refuses_marking_by_others_and_hides_other_schools(world, api_as):
    pupil = world.pupils["a1"]
    assert api_as("headmaster_a1").patch(f"/api/v1/archive-checklists/{pupil.pk}/", {"items": {"info_sheet": True}},
                                         format="json").status_code == 403
    assert api_as("registrar_b1").patch(f"/api/v1/archive-checklists/{pupil.pk}/", {"items": {"info_sheet": True}},
                                        format="json").status_code == 404
    assert api_as("registrar_b1").post("/api/v1/archive-checklists/bulk/", {"pupils": [pupil.pk], "bulk_action": "all:present"},
                                       format="json").status_code == 404
    assert api_as("teacher_a1").get(f"/api/v1/archive-checklists/{pupil.pk}/").status_code == 404
    response = api_as("registrar_a1").patch(f"/api/v1/archive-checklists/{pupil.pk}/", {"items": {"nope": True}}, format="json")
    assert response.status_code == 400 and "档案清单中没有" in str(response.json())
    ids = {row["pupil"] for row in api_as("officer_b").get("/api/v1/archive-checklists/").json()["results"]}
    assert ids == {world.pupils["b1"].pk}
    assert not PaperMark.objects.exists()
