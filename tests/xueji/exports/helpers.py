"""Shared steps of the export tests: the leaders of the two counties, asking, deciding, making
the file (as the worker's follow-up does), and reading it back."""

import io

from openpyxl import load_workbook

from tests.factories import MembershipFactory, UserFactory
from xueji.accounts.models import Membership, Role
from xueji.approvals.services import request_decide, request_follow_up
from xueji.exports.services import export_file_run
from xueji.exports.services import ExportAsk, export_request_start

DATA_SHEET = "学生信息"


def add_leaders(world) -> None:
    """leader_a (农安县) and leader_b (榆树市): 分管领导 of the two counties."""
    for username, unit in (("leader_a", "county_a"), ("leader_b", "county_b")):
        user = UserFactory(username=username, full_name="分管领导" + username[-1].upper())
        MembershipFactory(user=user, unit=world.units[unit], role=Role.LEADER)
        world.users[username] = user


def ask(world, username="officer_a", *, scope="", full=False, fields=None, purpose="national_upload"):
    from enrollment.national.services import EXPORT_KEYS

    user = world.user(username)
    membership = Membership.objects.filter(user=user).select_related("unit").first()
    return export_request_start(actor=user, membership=membership, ask=ExportAsk(
        export_kind="national", scope=str(scope), fields=fields or list(EXPORT_KEYS), purpose=purpose,
        purpose_text="秋季学期上报国家学籍系统", full_values=full,
        reason_for_full_values="国家系统比对须完整身份证件号" if full else "",
    ))


def approve(world, change, username="leader_a", *, grant_full=False):
    change = request_decide(actor=world.user(username), request_id=change.pk, approve=True,
                            details={"grant_full": grant_full})
    request_follow_up(change.pk)  # what the worker does after commit: queues the file's making
    export_file_run(change.pk)  # what the documents queue's worker then does
    change.refresh_from_db()
    return change


def workbook_of(content: bytes):
    return load_workbook(io.BytesIO(content))


def data_rows(content: bytes) -> tuple[list[str], list[dict]]:
    sheet = workbook_of(content)[DATA_SHEET]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    headers = rows[0]
    return headers, [dict(zip(headers, row)) for row in rows[1:]]
