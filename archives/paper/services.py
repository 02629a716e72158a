"""纸质学籍档案: what each pupil's paper file must hold, what the registrar found in it, its box,
and a school's completeness at a glance (pages: archives/paper/views.py, API: paper_api.py).

A file must hold the 登记表 and the 学籍基本信息表, and for every change the pupil went through
(each approved request) its signed application form and its proof: one item per label of the
request's attachments ("医务证明书", "监护人书面申请"), or one "证明材料" for proof uploaded
without a label. The checklist is derived, never stored: a change approved tomorrow adds its items
to the file's checklist, unchecked, and the file is no longer complete until the registrar files
the proof and marks it.

Who: the registrar of the pupil's school marks; the school's headmaster, the central school and
the bureaus above read (each school's completeness). Head teachers do not keep the paper files."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from archives.paper.models import PaperFile, PaperMark
from xueji.accounts.audit import audit_record, audit_record_many
from xueji.accounts.models import Role, Unit, UnitKind, User
from xueji.accounts.permissions import NotAllowed, holds
from xueji.accounts.scoping import UNIT_ROLES_SEEING_SUBTREE, NotInScope, memberships_of, object_id
from xueji.approvals.kinds import kind_label
from xueji.approvals.models import Attachment, ChangeRequest, RequestStatus
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil
from xueji.pupils.scoping import pupils_visible_to

# 农安县办法 第八条: 《登记表》《学籍基本信息表》和学籍信息异动证明材料.
BASE_ITEMS = (("registration_form", "学生登记表"), ("info_sheet", "学籍基本信息表"))
BASE_GROUP = "基本材料"
# The school keeps the file while the record is on its roll; a pupil who left (graduated,
# transferred out of the system, cancelled, deceased) has a closed file that is no longer checked.
ON_ROLL = (PupilStatus.ENROLLED, PupilStatus.SUSPENDED, PupilStatus.DROPPED_OUT, PupilStatus.ABROAD,
           PupilStatus.DEFERRED, PupilStatus.VISITING)
BOX_MAX = 20

PRESENT, MISSING, UNCHECKED = "present", "missing", "unchecked"
STATE_LABELS = {PRESENT: "齐全", MISSING: "缺失", UNCHECKED: "未核对"}
FILE_COMPLETE, FILE_MISSING, FILE_UNCHECKED = "complete", "missing", "unchecked"
FILE_STATE_LABELS = {FILE_COMPLETE: "完整", FILE_MISSING: "缺材料", FILE_UNCHECKED: "未核对完"}

# Bulk marking of many pupils at once (a class, or the pupils ticked on its page).
BULK_ACTIONS = {
    "all:present": "全部材料齐全",
    "registration_form:present": "学生登记表：齐全",
    "registration_form:missing": "学生登记表：缺失",
    "info_sheet:present": "学籍基本信息表：齐全",
    "info_sheet:missing": "学籍基本信息表：缺失",
    "changes:present": "变动材料（申请表及证明）：齐全",
    "changes:missing": "变动材料（申请表及证明）：缺失",
    "box": "放入档案盒（填写盒号）",
}


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    group: str  # 基本材料, or the change it proves ("休学（2026-10-12 批准）")
    state: str = UNCHECKED
    marked_at: datetime | None = None

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def is_change(self) -> bool:
        return self.key.startswith("req")


@dataclass
class Checklist:
    pupil: Pupil
    box_number: str = ""
    items: list[ChecklistItem] = field(default_factory=list)

    @property
    def state(self) -> str:
        states = {item.state for item in self.items}
        if MISSING in states:
            return FILE_MISSING
        return FILE_UNCHECKED if UNCHECKED in states else FILE_COMPLETE

    @property
    def state_label(self) -> str:
        return FILE_STATE_LABELS[self.state]

    @property
    def missing(self) -> list[ChecklistItem]:
        return [item for item in self.items if item.state == MISSING]

    @property
    def unchecked(self) -> list[ChecklistItem]:
        return [item for item in self.items if item.state == UNCHECKED]

    def item(self, key: str) -> ChecklistItem | None:
        return next((item for item in self.items if item.key == key), None)

    @property
    def change_items(self) -> list[ChecklistItem]:
        return [item for item in self.items if item.is_change]


# What a file must hold ---------------------------------------------------------------------

def expected_items(pupil_ids: list[int]) -> dict[int, list[ChecklistItem]]:
    """The checklist of each pupil's file, unmarked: the base items, then per approved request
    (oldest first) its application form and one item per label of its proof. Three queries,
    whatever the number of pupils."""
    changes = list(
        ChangeRequest.objects.filter(pupil_id__in=pupil_ids, status=RequestStatus.APPROVED)
        .order_by("finished_at", "id").values("id", "pupil_id", "kind", "finished_at")
    )
    labels: dict[int, list[str]] = defaultdict(list)
    for request_id, label in (Attachment.objects.filter(request_id__in=[c["id"] for c in changes])
                              .order_by("request_id", "id").values_list("request_id", "label")):
        label = label.strip()
        if label not in labels[request_id]:
            labels[request_id].append(label)
    items = {pupil_id: [ChecklistItem(key, label, BASE_GROUP) for key, label in BASE_ITEMS] for pupil_id in pupil_ids}
    for change in changes:
        name = kind_label(change["kind"])
        finished = timezone.localtime(change["finished_at"]).date() if change["finished_at"] else None
        group = f"{name}（{finished:%Y-%m-%d} 批准）" if finished else name
        pupil_items = items[change["pupil_id"]]
        pupil_items.append(ChecklistItem(f"req{change['id']}:form", f"{name}申请表（签字盖章）", group))
        for label in labels.get(change["id"], []):
            # Proof uploaded without a label is one item: the change's proof, however many pages.
            key, text = (f"req{change['id']}:{label[:90]}", label) if label else (f"req{change['id']}:proof", "证明材料")
            pupil_items.append(ChecklistItem(key, text, group))
    return items


def checklists_for(pupils: list[Pupil]) -> list[Checklist]:
    """Each pupil's checklist at the pupil's school, with the registrar's marks and the box. Four
    queries, however many pupils and schools."""
    ids = [pupil.pk for pupil in pupils]
    expected = expected_items(ids)
    school_of = {pupil.pk: pupil.school_id for pupil in pupils}
    # A pupil may have files at former schools too: only the current school's counts.
    files = {f.pupil_id: f for f in PaperFile.objects.filter(pupil_id__in=ids) if f.school_id == school_of[f.pupil_id]}
    marks: dict[int, dict[str, PaperMark]] = defaultdict(dict)
    for mark in PaperMark.objects.filter(file__in=files.values()).only("file_id", "key", "present", "marked_at"):
        marks[mark.file_id][mark.key] = mark
    checklists = []
    for pupil in pupils:
        file = files.get(pupil.pk)
        found = marks.get(file.pk, {}) if file else {}
        items = []
        for item in expected[pupil.pk]:
            mark = found.get(item.key)
            state = UNCHECKED if mark is None else (PRESENT if mark.present else MISSING)
            items.append(ChecklistItem(item.key, item.label, item.group, state, mark.marked_at if mark else None))
        checklists.append(Checklist(pupil=pupil, box_number=file.box_number if file else "", items=items))
    return checklists


# Scope -------------------------------------------------------------------------------------

def _paper_school_scope(user: User) -> Q | None:
    """The schools whose paper archive the user keeps or oversees: their own school as its
    registrar or headmaster, every school under the central school or bureau they work at."""
    scope = None
    for m in memberships_of(user):
        if m.unit is None:
            continue
        if m.role in (Role.REGISTRAR, Role.HEADMASTER):
            part = Q(pk=m.unit.pk)
        elif m.role in UNIT_ROLES_SEEING_SUBTREE:
            part = Q(path__startswith=m.unit.path)
        else:
            continue
        scope = part if scope is None else scope | part
    return scope


def paper_schools_visible_to(user: User) -> QuerySet[Unit]:
    scope = _paper_school_scope(user)
    if scope is None:
        return Unit.objects.none()
    return Unit.objects.filter(scope, kind=UnitKind.SCHOOL)


def get_paper_school_for_user(user: User, school_id) -> Unit:
    school = paper_schools_visible_to(user).filter(pk=object_id(school_id)).first()
    if school is None:
        raise NotInScope("没有找到这所学校，或您无权查看其纸质档案。", what="unit", object_id=school_id)
    return school


def get_paper_pupil_for_user(user: User, pupil_id) -> Pupil:
    """A pupil whose paper file the user may see: visible to the user and at a school whose paper
    archive the user keeps or oversees (so not to a head teacher)."""
    pupil = (pupils_visible_to(user).filter(school__in=paper_schools_visible_to(user))
             .select_related("school", "school_class").filter(pk=object_id(pupil_id)).first())
    if pupil is None:
        raise NotInScope("没有找到这名学生的纸质档案，或您无权查看。", what="pupil", object_id=pupil_id)
    return pupil


def pupils_on_roll(*schools: Unit) -> QuerySet[Pupil]:
    return (Pupil.objects.filter(school__in=schools, status__in=ON_ROLL, deleted_at__isnull=True)
            .select_related("school", "school_class").order_by("grade", "school_class__number", "name_sort", "name", "id"))


def may_mark(user: User, school_id: int) -> bool:
    return holds(user, Role.REGISTRAR, school_id)


# Completeness ------------------------------------------------------------------------------

@dataclass
class Completeness:
    """Counts of a set of files: a class, a grade, a school."""

    label: str = ""
    pupils: int = 0
    complete: int = 0
    with_missing: int = 0
    unchecked: int = 0
    no_box: int = 0
    missing_items: int = 0
    school_class_id: int | None = None
    school: Unit | None = None

    def add(self, checklist: Checklist) -> None:
        self.pupils += 1
        state = checklist.state
        self.complete += state == FILE_COMPLETE
        self.with_missing += state == FILE_MISSING
        self.unchecked += state == FILE_UNCHECKED
        self.no_box += not checklist.box_number
        self.missing_items += len(checklist.missing)

    @property
    def percent_complete(self) -> int:
        return round(100 * self.complete / self.pupils) if self.pupils else 100


def school_completeness(school: Unit) -> tuple[Completeness, list[Completeness], list[Checklist]]:
    """A school at a glance: its totals, one row per class (grade order), and the files that lack
    something (missing items marked), for the list of what is missing."""
    checklists = checklists_for(list(pupils_on_roll(school)))
    total = Completeness(label="全校", school=school)
    rows: dict[int | None, Completeness] = {}
    for checklist in checklists:
        school_class = checklist.pupil.school_class
        key = school_class.pk if school_class else None
        if key not in rows:
            rows[key] = Completeness(label=school_class.name if school_class else "未分班", school_class_id=key, school=school)
        rows[key].add(checklist)
        total.add(checklist)
    lacking = [c for c in checklists if c.missing]
    return total, list(rows.values()), lacking


def schools_completeness(user: User) -> list[Completeness]:
    """Each school the user oversees, with its files' counts (the bureau's and central school's
    view): every school's files in one pass (four queries)."""
    schools = list(paper_schools_visible_to(user).order_by("path"))
    rows = {school.pk: Completeness(label=school.name, school=school) for school in schools}
    for checklist in checklists_for(list(pupils_on_roll(*schools).order_by())):
        rows[checklist.pupil.school_id].add(checklist)
    return list(rows.values())


# Writes ------------------------------------------------------------------------------------

def _require_registrar(actor: User, school_id: int) -> None:
    if not may_mark(actor, school_id):
        raise NotAllowed("只有本校学籍管理员可以核对纸质档案。")


def _clean_box(box_number: str) -> str:
    box_number = (box_number or "").strip()
    if len(box_number) > BOX_MAX:
        raise ValidationError({"box_number": f"档案盒号不超过 {BOX_MAX} 个字符。"})
    return box_number


def _files_for(school: Unit, pupils: list[Pupil]) -> dict[int, PaperFile]:
    """The school's file of each pupil, made when missing. Two registrars at once: the insert
    skips rows that exist (ON CONFLICT DO NOTHING), then both read the same rows."""
    PaperFile.objects.bulk_create([PaperFile(pupil=p, school=school) for p in pupils], ignore_conflicts=True)
    return {f.pupil_id: f for f in PaperFile.objects.filter(school=school, pupil__in=pupils)}


def _write_marks(actor: User, rows: list[tuple[PaperFile, str, bool]]) -> None:
    now = timezone.now()
    # One statement for a class's worth of marks; a mark written at the same moment by someone
    # else is overwritten, not duplicated (ON CONFLICT (file, key) DO UPDATE).
    PaperMark.objects.bulk_create(
        [PaperMark(file=f, key=key, present=present, marked_by=actor, marked_at=now) for f, key, present in rows],
        update_conflicts=True, unique_fields=["file", "key"], update_fields=["present", "marked_by", "marked_at"],
    )


@transaction.atomic
def paper_checklist_mark(*, actor: User, pupil: Pupil, marks: dict[str, bool], box_number: str | None = None) -> Checklist:
    """Mark items of one pupil's file present (True) or missing (False), and set its box."""
    _require_registrar(actor, pupil.school_id)
    if pupil.status not in ON_ROLL or pupil.deleted_at:
        raise ValidationError("该生已不在本校学籍中，其纸质档案不再核对。")
    expected = {item.key for item in expected_items([pupil.pk])[pupil.pk]}
    unknown = set(marks) - expected
    if unknown:
        raise ValidationError({"items": "档案清单中没有这些材料：" + "、".join(sorted(unknown))})
    file = _files_for(pupil.school, [pupil])[pupil.pk]
    _write_marks(actor, [(file, key, bool(present)) for key, present in marks.items()])
    if box_number is not None:
        file.box_number = _clean_box(box_number)
    file.updated_by = actor
    file.save(update_fields=["box_number", "updated_by", "updated_at"])
    present = sum(1 for value in marks.values() if value)
    detail = f"核对纸质档案：齐全 {present} 项，缺失 {len(marks) - present} 项"
    audit_record(action="archive.paper", obj=pupil, user=actor, detail=detail + (f"，档案盒 {file.box_number}" if file.box_number else ""))
    return checklists_for([pupil])[0]


@transaction.atomic
def paper_checklists_mark_bulk(*, actor: User, school: Unit, pupil_ids: list[int], action: str, box_number: str = "") -> int:
    """One action on many files at once (``BULK_ACTIONS``): every item present, one base item or
    all change items present or missing, or the same box. Returns how many files it touched."""
    _require_registrar(actor, school.pk)
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": "请选择要执行的操作。"})
    if not pupil_ids:
        raise ValidationError({"pupils": "请选择学生。"})
    pupils = list(pupils_on_roll(school).filter(pk__in=pupil_ids))
    if len(pupils) != len(set(pupil_ids)):
        raise ValidationError({"pupils": "所选学生中有不在本校学籍中的学生。"})
    files = _files_for(school, pupils)
    if action == "box":
        box_number = _clean_box(box_number)
        if not box_number:
            raise ValidationError({"box_number": "请填写档案盒号。"})
        PaperFile.objects.filter(pk__in=[f.pk for f in files.values()]).update(
            box_number=box_number, updated_by=actor, updated_at=timezone.now())
    else:
        what, state = action.split(":")
        expected = expected_items([p.pk for p in pupils])
        rows = []
        for pupil in pupils:
            for item in expected[pupil.pk]:
                if what == "all" or item.key == what or (what == "changes" and item.is_change):
                    rows.append((files[pupil.pk], item.key, state == PRESENT))
        _write_marks(actor, rows)
        PaperFile.objects.filter(pk__in=[f.pk for f in files.values()]).update(updated_by=actor, updated_at=timezone.now())
    detail = f"批量核对纸质档案：{BULK_ACTIONS[action]}" + (f" {box_number}" if action == "box" else "")
    audit_record_many(action="archive.paper", objs=pupils, user=actor, detail=detail)
    return len(pupils)
