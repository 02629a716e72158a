"""Pages of the approval engine: the inbox (with signing several at once), the list of requests,
a request's page with its timeline, deciding, withdrawing, attachments, notices."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from xueji.accounts.audit import audit_record
from xueji.approvals import reversal
from xueji.approvals.kinds import get_kind, kind_choices, prepare_summaries
from xueji.approvals.models import ApprovalStep, Attachment, ChangeRequest, RequestStatus
from xueji.approvals.scoping import (
    get_attachment_for_user,
    get_request_for_user,
    notices_for,
    requests_visible_to,
    steps_waiting_for,
)
from xueji.approvals.services import (
    check_resubmission,
    decider_refusal,
    may_decide,
    request_decide,
    request_withdraw,
    working_days_left,
)
from xueji.paginators import CappedPaginator
from xueji.pupils.scoping import pupils_visible_to
from xueji.pupils.selectors import pupil_columns_not_listed
from xueji.pupils.visibility import visibility_for

PAGE_SIZE = 50


# The inbox's orders: soonest due first (overdue first), or by the pupil's name in pinyin order
# (the pupil's stored sort key, xueji.collation; requests of no one pupil, a batch, come last).
INBOX_ORDERS = {
    "due": ("due_at", "id"),
    "pupil": (F("request__pupil__name_sort").asc(nulls_last=True), "due_at", "id"),
}


def inbox_order(value) -> str:
    """The order asked for (?sort=pupil), else the default; an unknown value is the default."""
    return value if value in INBOX_ORDERS else "due"


def inbox_steps(user, order: str = "due"):
    """The user's pending steps in ``order`` (INBOX_ORDERS), with what each row shows: the
    request's pupil and school, its chain as the list ``request.chain`` and its proof as the list
    ``request.proofs``."""
    return (
        steps_waiting_for(user)
        .select_related("request__pupil__school", "request__started_unit")
        # Only what the rows show (here and in the API): a pupil has some sixty columns and a unit
        # ten, and making them into objects cost 3 ms of a page's 35. Reading another field of
        # these rows would cost a query per row: add it here first.
        .only("request_id", "position", "label", "due_at",
              "request__kind", "request__payload", "request__pupil_id", "request__started_unit_id",
              "request__pupil__name", "request__pupil__school__name", "request__started_unit__name")
        # The chain shows as one dot per step (its status and label): only those columns, which
        # halves what loading the chains of a page of 50 costs. Reading another field of these
        # steps would cost a query per step: add it here first. As lists (to_attr), not related
        # managers: a manager's queryset, made for each of the 50 requests, costs more than the list.
        .prefetch_related(
            Prefetch(
                "request__steps",
                queryset=ApprovalStep.objects.only("request_id", "position", "status", "label").order_by("position"),
                to_attr="chain",
            ),
            # The proof, as links: one query for the page.
            Prefetch("request__attachments", queryset=Attachment.objects.only("request_id", "original_name"),
                     to_attr="proofs"),
        )
        .order_by(*INBOX_ORDERS[order])
    )


def _id_url(name: str):
    """``reverse(name, args=[id])`` for many ids at the cost of one reverse(): the pattern's one
    argument is an id, the rest of the address is the same for every row."""
    marker = 918273645
    before, after = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{before}{pk}{after}"


def _decorate(steps, today):
    """What each row shows, worked out here once rather than by the template: a page of 50 rows
    would otherwise cost some thousand lookups, filters and reverse()s, more than its queries."""
    prepare_summaries([step.request for step in steps])
    request_url, attachment_url = _id_url("approvals:request_detail"), _id_url("approvals:attachment_download")
    for step in steps:
        change = step.request
        step.days_left = working_days_left(step, today)
        step.summary = get_kind(change.kind).summary(change)
        step.url = request_url(change.pk)
        step.subject = change.subject
        step.school_name = change.subject_school_name
        step.due_on = timezone.localtime(step.due_at).date().isoformat() if step.due_at else ""
        # (status, tooltip) of each step of the chain, and (address, name, short name) of each proof.
        step.dots = [(s.status, f"{s.label}：{s.get_status_display()}") for s in change.chain]
        step.proofs = [(attachment_url(a.pk), a.original_name, Truncator(a.original_name).chars(12))
                       for a in change.proofs]
    return steps


@login_required
def inbox(request):
    order = inbox_order(request.GET.get("sort"))
    page = CappedPaginator(inbox_steps(request.user, order), PAGE_SIZE).get_page(request.GET.get("page"))
    _decorate(page.object_list, timezone.localdate())
    if not page.paginator.capped:
        # The navigation's badge counts these same steps: it takes this count rather than its own.
        request.steps_waiting_count = page.paginator.count
    return render(request, "approvals/inbox.html", {
        "page": page, "order": order, "query_string": "sort=pupil" if order == "pupil" else "",
        "notices": notices_for(request.user)[:20],
    })


@login_required
@require_POST
def inbox_sign(request):
    """Approve several requests at once (a headmaster's signature on each), in two steps: the
    first POST only shows what will be signed (how many, which, with which comment), and nothing
    changes until the second, with ``confirm=1``, signs them, each in its own transaction, so one
    refusal does not hold back the others."""
    ids = list(dict.fromkeys(request.POST.getlist("request")))[:200]
    if not ids:
        messages.error(request, "请先勾选要同意的申请。")
        return redirect("approvals:inbox")
    comment = request.POST.get("comment", "")
    if request.POST.get("confirm") != "1":
        return _inbox_sign_confirmation(request, ids, comment)
    done, refused = 0, []
    for raw in ids:
        try:
            change = get_request_for_user(request.user, raw)
            request_decide(actor=request.user, request_id=change.pk, approve=True, comment=comment)
            done += 1
        except Http404:
            refused.append(f"#{raw}：没有找到")
        except ValidationError as error:
            refused.append(f"{change}（{change.subject}）：{'；'.join(error.messages)}")
    if done:
        messages.success(request, f"已同意 {done} 项申请。")
    for line in refused:
        messages.error(request, line)
    return redirect("approvals:inbox")


def _inbox_sign_confirmation(request, ids: list[str], comment: str):
    """The confirmation of a batch signature: the requests the user may sign now and those they
    may not (with the reason), read only: nothing is decided here."""
    ready, refused = [], []
    for raw in ids:
        try:
            change = get_request_for_user(request.user, raw)
        except Http404:
            refused.append(f"#{raw}：没有找到")
            continue
        step = change.steps.select_related("unit").filter(position=change.current_position, status="pending").first()
        if change.status != RequestStatus.PENDING or step is None:
            refused.append(f"{change}（{change.subject}）：该申请{RequestStatus(change.status).label}，不能再审批。")
            continue
        step.request = change
        refusal = decider_refusal(request.user, step)
        if refusal is not None:
            refused.append(f"{change}（{change.subject}）：{'；'.join(refusal.messages)}")
            continue
        change.current_step = step
        ready.append(change)
    prepare_summaries(ready)
    for change in ready:
        change.summary_text = get_kind(change.kind).summary(change)
    comment_error = "意见最多 1000 字。" if len(comment.strip()) > 1000 else ""
    return render(request, "approvals/inbox_sign_confirm.html", {
        "ready": ready, "refused": refused, "comment": comment.strip(), "comment_error": comment_error,
    })


@login_required
def request_list(request, kinds: tuple[str, ...] | None = None, template: str = "approvals/request_list.html", extra=None):
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    requests = requests_visible_to(request.user).select_related("pupil", "started_unit").defer(
        *pupil_columns_not_listed("pupil__"))
    if kinds:
        requests = requests.filter(kind__in=kinds)
    if status in RequestStatus.values:
        requests = requests.filter(status=status)
    if kind in dict(kind_choices()):
        requests = requests.filter(kind=kind)
    page = CappedPaginator(requests.order_by("-started_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    prepare_summaries(page.object_list)
    for change in page.object_list:
        change.summary = get_kind(change.kind).summary(change)
    context = {
        "page": page, "status": status, "kind": kind, "statuses": RequestStatus.choices,
        "kinds": [k for k in kind_choices() if not kinds or k[0] in kinds], **(extra or {}),
    }
    return render(request, template, context)


@login_required
def request_detail(request, request_id: int):
    change = get_request_for_user(request.user, request_id)
    return render(request, "approvals/request_detail.html", _detail_context(request, change))


def _detail_context(request, change: ChangeRequest, posted: dict | None = None, errors: list[str] = ()) -> dict:
    declaration = get_kind(change.kind)
    steps = list(change.steps.select_related("unit", "decided_by").order_by("position"))
    today = timezone.localdate()
    for step in steps:
        step.days_left = working_days_left(step, today) if step.status == "pending" else None
    current = next((s for s in steps if s.status == "pending"), None)
    can_decide = current is not None and may_decide(request.user, current)
    pupil = change.pupil
    posted = posted or {}
    return {
        "change": change,
        "steps": steps,
        "current": current,
        "can_decide": can_decide,
        "decision_fields": [(name, label, posted.get(name, "")) for name, label in declaration.decision_fields(change, current)]
        if can_decide else [],
        "decision_template": declaration.decision_template if can_decide else "",
        **(declaration.decision_context(change, current, posted) if can_decide and declaration.decision_template else {}),
        "posted_comment": posted.get("comment", ""),
        "decision_errors": errors,
        "can_withdraw": change.status == RequestStatus.PENDING and change.started_by_id == request.user.pk
        and all(s.status in ("waiting", "pending") for s in steps),
        "resubmit_url": declaration.resubmit_url(change) if _may_resubmit(request.user, change) else None,
        "details": declaration.details_for(change, request.user),
        "links": declaration.links_for(change, request.user),
        "attachments": change.attachments.all(),
        "pupil_link": pupil is not None and pupils_visible_to(request.user).filter(pk=pupil.pk).exists(),
        # What of the pupil the user sees (xueji.pupils.visibility): a counterpart school the least.
        "pupil_number": visibility_for(request.user, pupil).student_number(pupil.student_number) if pupil else "",
        "summary": declaration.summary(change),
        "reversal_deadline": _reversal_deadline(request.user, change),
    }


def _reversal_deadline(user, change: ChangeRequest):
    """The last day the user's bureau may reverse this approved request, if it may now."""
    if change.status != RequestStatus.APPROVED or not user.is_authenticated:
        return None
    return reversal.reversal_deadline(change) if reversal.reversal_refusal(user=user, original=change) is None else None


def _may_resubmit(user, change: ChangeRequest) -> bool:
    try:
        check_resubmission(actor=user, old=change)
    except ValidationError:
        return False
    return True


@login_required
@require_POST
def request_decide_view(request, request_id: int):
    """Decide; when refused (no reason to reject, a missing field), the page comes back with
    the reason and with what was typed, not lost."""
    change = get_request_for_user(request.user, request_id)
    decision = request.POST.get("decision")
    posted = {key: value for key, value in request.POST.items() if key not in ("decision", "csrfmiddlewaretoken")}
    if decision not in ("approve", "reject"):
        return render(request, "approvals/request_detail.html", _detail_context(request, change, posted, ["请选择同意或退回。"]))
    declaration = get_kind(change.kind)
    details = declaration.decision_details({key: value for key, value in posted.items() if key != "comment"})
    try:
        change = request_decide(actor=request.user, request_id=change.pk, approve=decision == "approve",
                                comment=posted.get("comment", ""), details=details)
    except ValidationError as error:
        change = get_request_for_user(request.user, change.pk)
        return render(request, "approvals/request_detail.html", _detail_context(request, change, posted, error.messages))
    messages.success(request, declaration.decision_message(change, decision == "approve"))
    return redirect("approvals:request_detail", change.pk)


@login_required
@require_POST
def request_reverse_view(request, request_id: int):
    """The bureau asks to reverse an approved status change (撤销审批): a new request with the same
    chain. Refusals come back on the request's page with the reason."""
    change = get_request_for_user(request.user, request_id)
    try:
        started = reversal.reversal_start(actor=request.user, original_id=change.pk, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("approvals:request_detail", change.pk)
    messages.success(request, f"撤销申请已发起，等待{started.steps.get(position=0).label}。")
    return redirect("approvals:request_detail", started.pk)


@login_required
@require_POST
def request_withdraw_view(request, request_id: int):
    change = get_request_for_user(request.user, request_id)
    try:
        request_withdraw(actor=request.user, request_id=change.pk)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, "申请已撤回。")
    return redirect("approvals:request_detail", change.pk)


@login_required
def attachment_download(request, attachment_id: int):
    """Proof, from outside the web root, only to users who may see the request."""
    attachment = get_attachment_for_user(request.user, attachment_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("附件文件不存在。") from None
    audit_record(action="attachment.view", obj=attachment.request, detail=attachment.original_name)
    # Downloaded, never shown inline in the site's origin (issue 12): it is what someone uploaded.
    response = FileResponse(handle, content_type=attachment.content_type, filename=attachment.original_name,
                            as_attachment=True)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
