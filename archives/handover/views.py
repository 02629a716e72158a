"""Pages of archives/: the paper-archive hand-overs of a school or a bureau, and one hand-over
with its two forms (how the file left, who received it)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from archives.handover import services
from archives.handover.forms import HandoverReceivedForm, HandoverSentForm
from archives.handover.selectors import handovers_visible_to
from xueji.accounts.scoping import NotInScope, object_id
from xueji.forms import show_errors
from xueji.paginators import CappedPaginator


@login_required
def handover_list(request):
    show = request.GET.get("show", "open")
    today = timezone.localdate()
    handovers = handovers_visible_to(request.user)
    if show == "open":
        handovers = handovers.filter(received_at__isnull=True)
    elif show == "overdue":
        handovers = handovers.filter(received_at__isnull=True, due_date__lt=today)
    page = CappedPaginator(handovers.order_by("due_date", "id"), 50).get_page(request.GET.get("page"))
    for handover in page.object_list:
        # Overdue: not received by the end of the month after the transfer (the receipt closes it).
        handover.days_overdue = (today - handover.due_date).days if not handover.received_at and handover.due_date < today else 0
    my_units = {m.unit_id for m in request.user.memberships.all()}
    return render(request, "archives/handover_list.html", {
        "page": page, "show": show, "today": today, "my_units": my_units, "query_string": f"show={show}",
    })


def _handover_for(user, handover_id):
    handover = handovers_visible_to(user).filter(pk=object_id(handover_id)).first()
    if handover is None:
        raise NotInScope("没有找到这项档案移交。", what="archivehandover", object_id=handover_id)
    return handover


def _render_detail(request, handover, sent_form=None, received_form=None, status=200):
    my_units = {m.unit_id for m in request.user.memberships.all()}
    return render(request, "archives/handover_detail.html", {
        "h": handover,
        "may_send": not handover.sent_at and handover.from_school_id in my_units,
        "may_receive": not handover.received_at and handover.to_school_id in my_units,
        "sent_form": sent_form or HandoverSentForm(),
        "received_form": received_form or HandoverReceivedForm(initial={"receiver_name": request.user.full_name}),
    }, status=status)


@login_required
def handover_detail(request, handover_id: int):
    return _render_detail(request, _handover_for(request.user, handover_id))


@login_required
@require_POST
def handover_action(request, handover_id: int, action: str):
    if action not in ("sent", "received"):
        raise Http404("没有这种操作。")
    handover = _handover_for(request.user, handover_id)
    form = (HandoverSentForm if action == "sent" else HandoverReceivedForm)(request.POST)
    form.is_valid()  # no rules of its own: the service's reasons are put on it below
    values = {name: form.cleaned_data.get(name, "") for name in form.fields}
    try:
        if action == "sent":
            services.handover_mark_sent(actor=request.user, handover_id=handover.pk, **values)
            messages.success(request, f"已登记{handover.pupil.name}的档案已移交。")
        else:
            services.handover_confirm_received(actor=request.user, handover_id=handover.pk, **values)
            messages.success(request, f"已确认收到{handover.pupil.name}的档案。")
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            # A rule about what was typed: the form again, with every reason and what was typed.
            show_errors(form, error)
            forms = {"sent_form": form} if action == "sent" else {"received_form": form}
            return _render_detail(request, handover, **forms)
        messages.error(request, "；".join(error.messages))
    return redirect("archives:handover_detail", handover.pk)
