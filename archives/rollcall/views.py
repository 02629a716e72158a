"""Pages of 学籍核查 (archives/rollcall/services.py): the head teacher's roll-call of a class; a school's
progress and the work its roll-calls made (registrar, headmaster, and the bureaus above); the
county's progress school by school; the printed report (rollcall_printing.py).

Outside the user's scope: 404. A role that has no part in it: 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from archives.rollcall import services as rollcall
from archives.rollcall.models import RollCall, RollCallEntry
from xueji.accounts.models import Role
from xueji.accounts.scoping import current_membership, memberships_of, object_id
from xueji.pupils.models import Semester
from xueji.pupils.scoping import get_class_for_user


def _semester(request) -> Semester | None:
    """The semester asked for (?semester=), else the one under way."""
    semester, unknown = rollcall.semester_chosen(request.GET.get("semester"), timezone.localdate())
    if unknown:
        raise Http404("没有这个学期。")
    return semester


def _window_context(semester: Semester | None) -> dict:
    if semester is None:
        return {"semester": None, "semesters": []}
    first, last = rollcall.audit_window(semester)
    today = timezone.localdate()
    return {
        "semester": semester, "window_first": first, "window_last": last,
        "window_state": "open" if first <= today <= last else ("before" if today < first else "after"),
        "semesters": Semester.objects.select_related("school_year").order_by("-start_date")[:6],
    }


@login_required
def rollcall_overview(request):
    """Who calls a class's roll sees those classes; a school's people go to their school's
    progress; bureaus and central schools see their schools' progress."""
    membership = current_membership(request)
    school = rollcall.school_of_membership(membership)
    if school is not None:
        return redirect(reverse("archives:rollcall_school", args=[school.pk]) + (f"?{request.GET.urlencode()}" if request.GET else ""))
    semester = _semester(request)
    context = _window_context(semester)
    own_classes = list(rollcall.classes_called_by(request.user))
    schools = list(rollcall.rollcall_schools_visible_to(request.user).order_by("path"))
    if not own_classes and not schools:
        raise PermissionDenied("学籍核查由班主任点名、学校学籍管理员汇总；您的身份无权查看。")
    calls = {}
    if semester is not None:
        calls = {r.school_class_id: r for r in RollCall.objects.filter(semester=semester, school_class__in=own_classes)}
        own_classes = [c for c in own_classes if c.school_year_id == semester.school_year_id]
    rows = rollcall.progress(schools, semester) if semester is not None and schools else []
    totals = {
        "classes": sum(len(r.classes) for r in rows), "done": sum(r.done for r in rows),
        "open": sum(r.open for r in rows), "not_started": sum(r.not_started for r in rows),
        **{o: sum(r.work.get(o, 0) for r in rows) for o in rollcall.SCHOOL_WORK},
    }
    return render(request, "archives/rollcall_overview.html", {
        **context, "own_classes": [(c, calls.get(c.pk)) for c in own_classes], "rows": rows, "totals": totals,
    })


@login_required
def rollcall_school(request, school_id: int):
    school = rollcall.get_rollcall_school_for_user(request.user, school_id)
    semester = _semester(request)
    context = _window_context(semester)
    [row] = rollcall.progress([school], semester) if semester is not None else [rollcall.SchoolProgress(school=school)]
    work = list(rollcall.work_of_school(school, semester)) if semester is not None else []
    unlisted = [e for e in work if e.outcome == RollCallEntry.Outcome.LATE_REGISTRATION]
    same_names = rollcall.same_name_records(school, [e.name for e in unlisted])
    for entry in unlisted:
        entry.same_names = same_names.get(entry.name, [])
    may_follow_up = rollcall.may_follow_up(request.user, school.pk)
    return render(request, "archives/rollcall_school.html", {
        **context, "school": school, "row": row, "may_follow_up": may_follow_up,
        "unlisted": unlisted,
        "dropouts": [e for e in work if e.outcome == RollCallEntry.Outcome.DROPOUT],
        "transfers": [e for e in work if e.outcome == RollCallEntry.Outcome.TRANSFER],
        "visiting": [e for e in work if e.outcome == RollCallEntry.Outcome.VISITING],
        "to_confirm": list(rollcall.visiting_to_confirm(school)),
        "sees_records": any(m.role in (Role.REGISTRAR, Role.HEADMASTER) and m.unit_id == school.pk for m in memberships_of(request.user)),
    })


def _rows(entries, post=None):
    """The lines of the form: each entry with what was posted for it (kept when saving failed)."""
    rows = []
    for entry in entries:
        present, reason, note = entry.present, entry.reason, entry.note
        if post is not None:
            value = post.get(f"present-{entry.pk}")
            present = True if value == "1" else False if value == "0" else present
            reason = post.get(f"reason-{entry.pk}", reason)
            note = post.get(f"note-{entry.pk}", note)
        rows.append({"entry": entry, "present": present, "reason": reason, "note": note})
    return rows


def _marks(roll_call: RollCall, post, rest_present: bool) -> list[rollcall.EntryMark]:
    marks = []
    for entry in roll_call.entries.all():
        value = post.get(f"present-{entry.pk}")
        note = post.get(f"note-{entry.pk}", entry.note)
        if value in ("0", "1"):
            marks.append(rollcall.EntryMark(entry.pk, value == "1", post.get(f"reason-{entry.pk}", ""), note))
        elif rest_present and entry.present is None:
            marks.append(rollcall.EntryMark(entry.pk, True, "", note))
    return marks


@login_required
def rollcall_class(request, class_id: int):
    """The class's roll-call: start it, mark each line (or the rest present at once), add or remove
    a child on no list, submit."""
    school_class = get_class_for_user(request.user, class_id)
    today = timezone.localdate()
    current = rollcall.semester_of_class(school_class, today)
    semester = _semester(request) if request.GET.get("semester") else current
    if semester is None:
        raise Http404("尚未设置学期。")
    may_call = rollcall.may_call_roll(request.user, school_class)
    roll_call = RollCall.objects.filter(semester=semester, school_class=school_class).first()
    post, status = None, 200
    if request.method == "POST":
        if not may_call:
            raise PermissionDenied("只有本班班主任可以点名核查。")
        action = request.POST.get("action", "")
        try:
            if semester != current:
                raise ValidationError("只能核查本学期：请回到本学期的点名页面。")
            if roll_call is None:
                # Whatever was asked, a class without a roll-call starts one first.
                roll_call = rollcall.rollcall_open(actor=request.user, school_class=school_class, today=today)
                messages.success(request, "已开始点名。请逐一核对名单上的学生。")
            elif action == "start":
                pass  # started already (a second tab, a double click): the list as it is
            elif request.POST.get("remove"):
                entry = roll_call.entries.filter(pk=object_id(request.POST["remove"])).first()
                if entry is None:
                    raise Http404("没有这条点名记录。")
                rollcall.rollcall_unlisted_remove(actor=request.user, entry=entry, today=today)
                messages.success(request, f"已删除名单外学生{entry.name}。")
            elif action == "add":
                entry = rollcall.rollcall_unlisted_add(actor=request.user, roll_call=roll_call, name=request.POST.get("name", ""),
                                                       note=request.POST.get("note", ""), today=today)
                messages.success(request, f"已添加名单外学生{entry.name}，提交后转学籍管理员补建学籍。")
            elif action in ("save", "rest_present", "finish"):
                # Called even with nothing to mark: a submitted roll-call or a closed window is said so.
                marks = _marks(roll_call, request.POST, rest_present=action == "rest_present")
                rollcall.rollcall_entries_mark(actor=request.user, roll_call=roll_call, marks=marks, today=today)
                if action == "finish":
                    rollcall.rollcall_finish(actor=request.user, roll_call=roll_call, today=today)
                    messages.success(request, "学籍核查结果已提交，学籍管理员将处理名单外、无故缺席等情况。")
                else:
                    messages.success(request, "点名结果已保存。")
            else:
                raise Http404("没有这个操作。")
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
            post, status = request.POST, 400
        else:
            return redirect(request.get_full_path())
    elif roll_call is not None and roll_call.status == RollCall.Status.OPEN and may_call and rollcall.window_is_open(semester, today):
        # The class may have changed since the list was made (a pupil moved in or out).
        roll_call = rollcall.rollcall_open(actor=request.user, school_class=school_class, today=today)
    entries = list(roll_call.entries.select_related("pupil", "home_school")) if roll_call else []
    editable = bool(roll_call and roll_call.status == RollCall.Status.OPEN and may_call and rollcall.window_is_open(semester, today))
    context = _window_context(semester)
    return render(request, "archives/rollcall_class.html", {
        **context, "school_class": school_class, "roll_call": roll_call, "rows": _rows(entries, post),
        "may_call": may_call, "editable": editable, "reasons": RollCallEntry.Reason.choices,
        "may_start": may_call and roll_call is None and context.get("window_state") == "open",
        "may_reopen": bool(roll_call and roll_call.status == RollCall.Status.DONE and rollcall.may_follow_up(request.user, school_class.school_id)
                           and rollcall.window_is_open(semester, today)),
        "unmarked": sum(1 for e in entries if e.present is None),
        "same_year": school_class.school_year_id == semester.school_year_id,
    }, status=status)


@login_required
@require_POST
def rollcall_reopen(request, roll_call_id: int):
    roll_call = rollcall.get_rollcall_for_user(request.user, roll_call_id)
    try:
        rollcall.rollcall_reopen(actor=request.user, roll_call=roll_call)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"已退回{roll_call.school_class.name}的学籍核查，班主任可重新点名后提交。")
    return redirect(reverse("archives:rollcall_class", args=[roll_call.school_class_id]) + f"?semester={roll_call.semester_id}")


@login_required
@require_POST
def rollcall_entry_handle(request, entry_id: int):
    entry = rollcall.get_entry_for_user(request.user, entry_id)
    try:
        rollcall.rollcall_entry_handle(actor=request.user, entry=entry, note=request.POST.get("note", ""))
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"已记录{entry.name}的处理情况。")
    if entry.outcome == RollCallEntry.Outcome.VISITING and rollcall.may_follow_up(request.user, entry.home_school_id):
        # The home school confirmed: back to its own page, where its pupils visiting elsewhere are.
        return redirect("archives:rollcall_school", entry.home_school_id)
    return redirect(reverse("archives:rollcall_school", args=[entry.roll_call.school_id]) + f"?semester={entry.roll_call.semester_id}")
