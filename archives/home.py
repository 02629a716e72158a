"""Home-page panels of archives/: paper files to hand over or to receive (overdue ones first, with
the days overdue), the paper archive's completeness, and the semester audit (学籍核查)."""

from django.urls import reverse
from django.utils import timezone

from archives.handover.selectors import handovers_visible_to
from archives.paper import services as paper
from archives.rollcall import services as rollcall
from archives.rollcall.models import RollCall
from xueji.accounts.models import BUREAU_ROLES, Membership, Role, User
from xueji.web.home import HomeItem, HomePanel, register_home_panel

OVERDUE_SHOWN = 5


@register_home_panel
def handover_panel(user: User, membership: Membership | None) -> list[HomePanel]:
    if membership is None or membership.unit is None:
        return []
    open_ = handovers_visible_to(user).filter(received_at__isnull=True)
    total = open_.count()
    if not total:
        return []
    today = timezone.localdate()
    overdue = open_.filter(due_date__lt=today)
    count = overdue.count()
    url = reverse("archives:handover_list")
    items = [HomeItem("未办结的档案移交", total, url)]
    if count:
        items.append(HomeItem("超过一个月未移交", count, f"{url}?show=overdue", warn=True))
        # The longest overdue by name: a bureau sees which school to call.
        for handover in overdue.order_by("due_date", "id")[:OVERDUE_SHOWN]:
            state = "已寄出未确认收到" if handover.sent_at else "未移交"
            items.append(HomeItem(f"{handover.pupil.name}：{handover.from_school.name} → {handover.to_school.name}，{state}",
                                  f"已超期 {(today - handover.due_date).days} 天", f"{url}?show=overdue", warn=True))
    return [HomePanel("纸质档案移交", items, order=30)]


@register_home_panel
def paper_panel(user: User, membership: Membership | None) -> list[HomePanel]:
    """The school's files at a glance (its registrar and headmaster); the area's for a county
    bureau or a central school. (A city's or province's is one click away, not on every home page.)"""
    if membership is None or membership.unit is None:
        return []
    url = reverse("archives:paper_overview")
    if membership.role in (Role.REGISTRAR, Role.HEADMASTER):
        total, _classes, _lacking = paper.school_completeness(membership.unit)
    elif membership.role in (Role.COUNTY_OFFICER, Role.CENTRAL_REGISTRAR):
        total = paper.Completeness()
        for row in paper.schools_completeness(user):
            for name in ("pupils", "complete", "with_missing", "unchecked", "no_box", "missing_items"):
                setattr(total, name, getattr(total, name) + getattr(row, name))
    else:
        return []
    if not total.pupils:
        return []
    items = [
        HomeItem("档案完整", f"{total.complete} / {total.pupils}（{total.percent_complete}%）", url),
        HomeItem("缺材料的档案", total.with_missing, url, warn=total.with_missing > 0),
        HomeItem("未核对完的档案", total.unchecked, url),
        HomeItem("未编档案盒号", total.no_box, url, warn=total.no_box > 0),
    ]
    return [HomePanel("纸质学籍档案", items, order=31)]


@register_home_panel
def rollcall_panel(user: User, membership: Membership | None) -> list[HomePanel]:
    """学籍核查 of the semester under way: a head teacher's classes, a school's progress and the
    work its roll-calls made, a bureau's or central school's schools."""
    if membership is None or membership.unit is None:
        return []
    today = timezone.localdate()
    semester = rollcall.semester_for(today)
    if semester is None:
        return []
    first, last = rollcall.audit_window(semester)
    window_open = first <= today <= last
    note = f"{semester}：{first:%m-%d} 至 {last:%m-%d} 逐班点名核查" + ("（进行中）" if window_open else "（已结束）" if today > last else "")
    if membership.role == Role.HEAD_TEACHER:
        classes = [c for c in rollcall.classes_called_by(user) if c.school_year_id == semester.school_year_id]
        calls = {r.school_class_id: r for r in RollCall.objects.filter(semester=semester, school_class__in=classes)}
        items = []
        for school_class in classes:
            call = calls.get(school_class.pk)
            label = call.get_status_display() if call else "未开始"
            url = reverse("archives:rollcall_class", args=[school_class.pk])
            items.append(HomeItem(f"{school_class.name}学籍核查", label, url, warn=window_open and (call is None or call.status != "done")))
        return [HomePanel("学籍核查", items, note=note, order=7)] if items else []
    if membership.role in (Role.REGISTRAR, Role.HEADMASTER):
        [row] = rollcall.progress([membership.unit], semester)
        url = reverse("archives:rollcall_school", args=[membership.unit_id])
        late = not window_open and today > last
        items = [HomeItem("已完成核查的班级", f"{row.done} / {len(row.classes)}", url, warn=row.not_done > 0 and (window_open or late))]
        labels = {"late_registration": "在校无学籍，待补建", "dropout": "无故缺席，疑似辍学", "transfer": "已迁走未办转学"}
        for outcome, label in labels.items():
            if row.work.get(outcome):
                items.append(HomeItem(label, row.work[outcome], url, warn=True))
        to_confirm = rollcall.visiting_to_confirm(membership.unit).count()
        if to_confirm:
            items.append(HomeItem("在外校借读的本校学生，待确认", to_confirm, url, warn=True))
        return [HomePanel("学籍核查", items, note=note, order=8)]
    if membership.role in (*BUREAU_ROLES, Role.CENTRAL_REGISTRAR):
        schools = list(rollcall.rollcall_schools_visible_to(user))
        rows = rollcall.progress(schools, semester)
        classes = sum(len(r.classes) for r in rows)
        done = sum(r.done for r in rows)
        behind = sum(1 for r in rows if r.not_done)
        url = reverse("archives:rollcall_overview")
        items = [HomeItem("已完成核查的班级", f"{done} / {classes}", url),
                 HomeItem("尚有班级未完成的学校", behind, url, warn=behind > 0 and today >= first)]
        return [HomePanel("学籍核查", items, note=note, order=25)]
    return []
