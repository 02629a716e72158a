"""Pages of 学籍核查 (archives/rollcall/services.py): the head teacher's roll-call of a class; a school's
progress and the work its roll-calls made (registrar, headmaster, and the bureaus above); the
county's progress school by school; the printed report (rollcall_printing.py).

The class page only reads (a prefetching browser or a link checker changes nothing); each thing
done to a roll-call is a POST of its own URL, and one refused goes back to the page with the
reason and what was typed (400).

Outside the user's scope: 404. A role that has no part in it: 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from archives.rollcall import services as rollcall
from archives.rollcall.models import RollCall, RollCallEntry
from xueji.accounts.models import Role
from xueji.accounts.permissions import NotAllowed, holds
from xueji.accounts.scoping import current_membership
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
        raise NotAllowed("学籍核查由班主任点名、学校学籍管理员汇总；您的身份无权查看。")
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
        "sees_records": holds(request.user, (Role.REGISTRAR, Role.HEADMASTER), school),
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


def _class_page(request, school_class, semester: Semester, *, post=None, status: int = 200):
    """The class's roll-call as stored, with the forms of what the user may do to it. ``post``:
    an action was refused, and what was typed is shown again."""
    today = timezone.localdate()
    may_call = rollcall.may_call_roll(request.user, school_class)
    roll_call = RollCall.objects.filter(semester=semester, school_class=school_class).first()
    entries = list(roll_call.entries.select_related("pupil", "home_school")) if roll_call else []
    editable = bool(roll_call and roll_call.status == RollCall.Status.OPEN and may_call and rollcall.window_is_open(semester, today))
    context = _window_context(semester)
    return render(request, "archives/rollcall_class.html", {
        **context, "school_class": school_class, "roll_call": roll_call, "rows": _rows(entries, post),
        "may_call": may_call, "editable": editable, "reasons": RollCallEntry.Reason.choices,
        # The class may have changed since the list was made: said here, refreshed by a POST.
        "changes": rollcall.list_changes(roll_call) if editable else None,
        "may_start": may_call and roll_call is None and context.get("window_state") == "open",
        "may_reopen": bool(roll_call and roll_call.status == RollCall.Status.DONE and rollcall.may_follow_up(request.user, school_class.school_id)
                           and rollcall.window_is_open(semester, today)),
        "unmarked": sum(1 for e in entries if e.present is None),
        "same_year": school_class.school_year_id == semester.school_year_id,
        "unlisted_typed": {"name": post.get("name", ""), "note": post.get("note", "")} if post is not None else {},
    }, status=status)


@login_required
@require_safe
def rollcall_class(request, class_id: int):
    """The class's roll-call: who is on the list and how each was marked. The actions (start,
    refresh, save, the rest present, submit, add or remove a child on no list) post to their own
    URLs below."""
    school_class = get_class_for_user(request.user, class_id)
    current = rollcall.semester_of_class(school_class, timezone.localdate())
    semester = _semester(request) if request.GET.get("semester") else current
    if semester is None:
        raise Http404("尚未设置学期。")
    return _class_page(request, school_class, semester)


def _back_to_class(class_id: int) -> HttpResponseRedirect:
    return redirect("archives:rollcall_class", class_id)


def _refused(request, roll_call: RollCall, error: ValidationError) -> HttpResponse:
    """The class page again with the reason and what was typed."""
    messages.error(request, "；".join(error.messages))
    return _class_page(request, roll_call.school_class, roll_call.semester, post=request.POST, status=400)


def _roll_call_to_mark(request, roll_call_id: int) -> RollCall:
    """The roll-call an action posts to: one the user sees (else 404), of a class whose roll the
    user calls (else 403)."""
    roll_call = rollcall.get_rollcall_for_user(request.user, roll_call_id)
    rollcall.require_caller(request.user, roll_call.school_class)
    return roll_call


def _refresh_first(request, roll_call: RollCall, today) -> None:
    """Before an action marks the roll-call: this semester's only, and its list brought up to
    date (as opening does). When the refresh changed the list the action is not done: the page
    shows the new list, so that nobody marks a list that is not the class's without noticing."""
    current = rollcall.semester_of_class(roll_call.school_class, today)
    if current is None or roll_call.semester_id != current.pk:
        raise ValidationError("只能核查本学期：请回到本学期的点名页面。")
    changes = rollcall.rollcall_refresh(actor=request.user, roll_call=roll_call, today=today)
    if changes:
        raise ValidationError(f"本班学生有变动，名单已更新：{changes.summary()}。本次操作未执行，请核对名单后重新操作。",
                              code="list_changed")


def _save_marks(request, roll_call: RollCall, today, *, rest_present: bool) -> None:
    # Called even with nothing to mark: a submitted roll-call or a closed window is said so.
    rollcall.rollcall_entries_mark(actor=request.user, roll_call=roll_call, today=today,
                                   marks=_marks(roll_call, request.POST, rest_present=rest_present))


@login_required
@require_POST
def rollcall_start(request, class_id: int):
    """开始点名: the class's roll-call of this semester, its list made from the records. Started
    already (a second tab, a double click): the list as it is."""
    school_class = get_class_for_user(request.user, class_id)
    today = timezone.localdate()
    semester = rollcall.semester_of_class(school_class, today)
    if semester is None:
        raise Http404("尚未设置学期。")
    rollcall.require_caller(request.user, school_class)
    if RollCall.objects.filter(semester=semester, school_class=school_class).exists():
        return _back_to_class(school_class.pk)
    try:
        rollcall.rollcall_open(actor=request.user, school_class=school_class, today=today)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return _class_page(request, school_class, semester, post=request.POST, status=400)
    messages.success(request, "已开始点名。请逐一核对名单上的学生。")
    return _back_to_class(school_class.pk)


@login_required
@require_POST
def rollcall_refresh(request, roll_call_id: int):
    """更新名单: the class has changed since the list was made (the page says so)."""
    roll_call = _roll_call_to_mark(request, roll_call_id)
    try:
        changes = rollcall.rollcall_refresh(actor=request.user, roll_call=roll_call, today=timezone.localdate())
    except ValidationError as error:
        return _refused(request, roll_call, error)
    messages.success(request, f"名单已更新：{changes.summary()}。" if changes else "名单与本班学生一致，无需更新。")
    return _back_to_class(roll_call.school_class_id)


def _mark(request, roll_call_id: int, *, rest_present: bool):
    roll_call, today = _roll_call_to_mark(request, roll_call_id), timezone.localdate()
    try:
        _refresh_first(request, roll_call, today)
        _save_marks(request, roll_call, today, rest_present=rest_present)
    except ValidationError as error:
        return _refused(request, roll_call, error)
    messages.success(request, "点名结果已保存。")
    return _back_to_class(roll_call.school_class_id)


@login_required
@require_POST
def rollcall_save(request, roll_call_id: int):
    """保存: the lines marked so far."""
    return _mark(request, roll_call_id, rest_present=False)


@login_required
@require_POST
def rollcall_rest_present(request, roll_call_id: int):
    """The lines marked, and every line not yet marked present."""
    return _mark(request, roll_call_id, rest_present=True)


@login_required
@require_POST
def rollcall_finish(request, roll_call_id: int):
    """提交核查结果: the lines marked, then the roll-call submitted (every line must be marked)."""
    roll_call, today = _roll_call_to_mark(request, roll_call_id), timezone.localdate()
    try:
        _refresh_first(request, roll_call, today)
        _save_marks(request, roll_call, today, rest_present=False)
        rollcall.rollcall_finish(actor=request.user, roll_call=roll_call, today=today)
    except ValidationError as error:
        return _refused(request, roll_call, error)
    messages.success(request, "学籍核查结果已提交，学籍管理员将处理名单外、无故缺席等情况。")
    return _back_to_class(roll_call.school_class_id)


@login_required
@require_POST
def rollcall_unlisted_add(request, roll_call_id: int):
    """A child in the class on no list (名单外), for the registrar to register once submitted."""
    roll_call, today = _roll_call_to_mark(request, roll_call_id), timezone.localdate()
    try:
        _refresh_first(request, roll_call, today)
        entry = rollcall.rollcall_unlisted_add(actor=request.user, roll_call=roll_call, today=today,
                                               name=request.POST.get("name", ""), note=request.POST.get("note", ""))
    except ValidationError as error:
        return _refused(request, roll_call, error)
    messages.success(request, f"已添加名单外学生{entry.name}，提交后转学籍管理员补建学籍。")
    return _back_to_class(roll_call.school_class_id)


@login_required
@require_POST
def rollcall_unlisted_remove(request, entry_id: int):
    """A child on no list added by mistake."""
    entry, today = rollcall.get_entry_for_user(request.user, entry_id), timezone.localdate()
    roll_call = entry.roll_call
    rollcall.require_caller(request.user, roll_call.school_class)
    try:
        _refresh_first(request, roll_call, today)
        rollcall.rollcall_unlisted_remove(actor=request.user, entry=entry, today=today)
    except ValidationError as error:
        return _refused(request, roll_call, error)
    messages.success(request, f"已删除名单外学生{entry.name}。")
    return _back_to_class(roll_call.school_class_id)


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
