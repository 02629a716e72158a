"""The three ledgers leave the system as a spreadsheet only through an export request
(xueji/exports, docs/architecture.md "Data leaving the system"), registered from
DropoutsConfig.ready(): one sheet a ledger (适龄未入学, 疑似辍学, 辍学) in the ledger layout of the
pages and prints, for a school or a whole area. Names are kept; the 学籍号 is masked unless the
leader granted full values (and as the requester sees it). The core puts the watermark sheet first."""

from io import BytesIO

from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import Workbook

from dropouts import ledgers, selectors
from dropouts.models import LedgerKind
from dropouts.selectors import SCHOOL_CASE_ROLES
from xueji.accounts.models import Membership, Unit, UnitKind, User
from xueji.accounts.scoping import UNIT_ROLES_SEEING_SUBTREE, NotInScope, object_id
from xueji.documents.xlsx import DATE_FORMAT, TEXT_FORMAT, Table, write_title
from xueji.exports.registry import ExportField, ExportJob, ExportKind, ExportOutput, ExportScope

CODE = "dropout_ledgers"
FIELDS = [
    ExportField("index", "序号"), ExportField("township", "乡镇（街道）"), ExportField("school", "学校"),
    ExportField("name", "姓名"), ExportField("gender", "性别"), ExportField("birth_date", "出生日期"),
    ExportField("student_number", "学籍号", "number"), ExportField("class_name", "班级"),
    ExportField("reason", "原因"), ExportField("opened_on", "登记日期"), ExportField("attempts", "劝返情况"),
    ExportField("result", "结果"), ExportField("closed_on", "销号日期"), ExportField("days_open", "登记天数"),
]
_WIDTHS = {"index": 6, "township": 12, "school": 20, "name": 10, "gender": 6, "birth_date": 12,
           "student_number": 22, "class_name": 14, "reason": 30, "opened_on": 12, "attempts": 50, "result": 20,
           "closed_on": 12, "days_open": 8}
_DATES = {"birth_date", "opened_on", "closed_on"}
SCOPES_OFFERED = 500


class DropoutLedgersExportKind(ExportKind):
    """The ledgers of a school, or of every school of a central school or bureau. A scope is a
    unit's id: the requester's own unit, or one of its schools."""

    code = CODE
    label = "控辍保学台账（Excel）"
    roles = frozenset(SCHOOL_CASE_ROLES | UNIT_ROLES_SEEING_SUBTREE)

    def fields(self) -> list[ExportField]:
        return list(FIELDS)

    @staticmethod
    def _units(user: User, membership: Membership):
        """The units this role may export: its school, or its own unit and the schools below."""
        unit = membership.unit
        if membership.role in SCHOOL_CASE_ROLES:
            return [unit]
        schools = selectors.schools_visible_to(user).filter(path__startswith=unit.path).order_by("township", "path")
        return [unit, *schools[:SCOPES_OFFERED]]

    def scope_choices(self, user: User, membership: Membership) -> list[tuple[str, str]]:
        return [(str(u.pk), u.name if u.kind == UnitKind.SCHOOL else f"{u.name}（全部学校）")
                for u in self._units(user, membership)]

    def scope_resolve(self, user: User, membership: Membership, value: str) -> ExportScope:
        if not value:
            value = str(membership.unit.pk)
        unit_id = object_id(value)
        unit = next((u for u in self._units(user, membership) if u.pk == unit_id), None)
        if unit is None:
            if not str(value).isdigit():
                raise ValidationError({"scope": "请选择学校或单位。"})
            raise NotInScope("没有找到这个单位，或您无权查看。", what="unit", object_id=value)
        return ExportScope(str(unit.pk), unit, unit.name)

    def write(self, job: ExportJob) -> ExportOutput:
        unit = Unit.objects.get(pk=job.scope.unit.pk)
        schools = selectors.schools_visible_to(job.requester).filter(path__startswith=unit.path)
        today = timezone.localdate()
        chosen = [f for f in FIELDS if f.key in job.fields]
        workbook = Workbook()
        workbook.remove(workbook.active)
        total = 0
        for kind, label in LedgerKind.choices:
            rows = ledgers.ledger_rows(job.requester, kind, today, schools=schools)
            sheet = workbook.create_sheet(label)
            write_title(sheet, f"{unit.name} {label}台账（截至 {today:%Y-%m-%d}）", columns=len(chosen))
            sheet.oddFooter.left.text = job.watermark_text[:200]
            sheet.oddFooter.left.size = 7
            formats = {f.label: TEXT_FORMAT for f in chosen if f.key == "student_number"}
            formats.update({f.label: DATE_FORMAT for f in chosen if f.key in _DATES})
            table = Table(sheet, [f.label for f in chosen], row=2, widths=[_WIDTHS[f.key] for f in chosen],
                          header_alignment=None, formats=formats)
            for index, row in enumerate(rows, start=1):
                values = {
                    "index": index, "township": row.township, "school": row.school.name, "name": row.name,
                    "gender": row.gender, "birth_date": row.birth_date, "student_number": row.student_number,
                    "class_name": row.class_name, "reason": row.reason, "opened_on": row.opened_on,
                    "attempts": row.attempts_text, "result": row.result, "closed_on": row.closed_on,
                    "days_open": row.days_open,
                }
                # A number the requester sees masked stays so (masking it again would garble it).
                table.add([job.value(f, values[f.key]) if f.personal and "*" not in str(values[f.key])
                           else values[f.key] for f in chosen])
            total += len(rows)
        output = BytesIO()
        workbook.save(output)
        return ExportOutput(output.getvalue(), total)
