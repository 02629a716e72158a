"""The class roster (花名册) as a spreadsheet leaves through an export request (xueji/documents/exports.py)."""

import pytest

from tests.xueji.exports.helpers import add_leaders, approve, workbook_of
from xueji.accounts.models import Membership
from xueji.accounts.scoping import NotInScope
from xueji.exports.models import ExportFile
from xueji.exports.services import ExportAsk, export_request_start

ROSTER_FIELDS = ["index", "student_number", "name", "id_number", "phone"]


def ask_roster(world, username, class_key, *, full=False):
    user = world.user(username)
    membership = Membership.objects.filter(user=user).select_related("unit").first()
    return export_request_start(actor=user, membership=membership, ask=ExportAsk(
        export_kind="roster", scope=str(world.classes[class_key].pk), fields=ROSTER_FIELDS, purpose="school_work",
        purpose_text="班级点名", full_values=full, reason_for_full_values="核对身份" if full else ""))


def roster_rows(change):
    with ExportFile.objects.get(request=change).file.open("rb") as handle:
        workbook = workbook_of(handle.read())
    rows = [[cell.value for cell in row] for row in workbook["花名册"].iter_rows()]
    return workbook, rows[1], [dict(zip(rows[1], row)) for row in rows[2:]]


@pytest.fixture
def leaders(world):
    add_leaders(world)
    return world


def test_the_roster_is_approved_by_the_county_and_masked_by_default(leaders):
    change = ask_roster(leaders, "registrar_a1", "a1_3_1")
    assert change.steps.get().unit == leaders.units["county_a"]
    workbook, headers, rows = roster_rows(approve(leaders, change))
    assert workbook.sheetnames == ["导出说明", "花名册"]
    assert headers == ["序号", "学籍号", "姓名", "身份证件号", "联系电话"]
    pupil = leaders.pupils["a1"]
    row = next(r for r in rows if r["姓名"] == pupil.name)
    assert row["身份证件号"] != pupil.id_number and "*" in row["身份证件号"]


def test_full_values_when_granted(leaders):
    change = approve(leaders, ask_roster(leaders, "registrar_a1", "a1_3_1", full=True), grant_full=True)
    _, _, rows = roster_rows(change)
    pupil = leaders.pupils["a1"]
    assert next(r for r in rows if r["姓名"] == pupil.name)["身份证件号"] == pupil.id_number


def test_a_head_teacher_sees_masked_values_even_when_granted(leaders):
    change = approve(leaders, ask_roster(leaders, "teacher_a1", "a1_3_1", full=True), grant_full=True)
    _, _, rows = roster_rows(change)
    assert leaders.pupils["a1"].id_number not in [r["身份证件号"] for r in rows]


def test_another_schools_class_is_not_found(leaders):
    with pytest.raises(NotInScope):
        ask_roster(leaders, "registrar_b1", "a1_3_1")
    with pytest.raises(NotInScope):
        ask_roster(leaders, "teacher_a1", "a1_3_2")  # not the class they head


def test_the_page_link_leads_to_the_request_form(leaders, login):
    client = login(leaders.user("registrar_a1"))
    school_class = leaders.classes["a1_3_1"]
    response = client.get(f"/classes/{school_class.pk}/roster.xlsx", follow=True)
    assert response.status_code == 200 and "班级花名册" in response.content.decode()
