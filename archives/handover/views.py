"""Pages of archives/: the paper-archive hand-overs of a school or a bureau."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from archives.handover import services
from archives.handover.selectors import handovers_visible_to
from xueji.accounts.scoping import NotInScope, object_id
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


@login_required
@require_POST
def handover_action(request, handover_id: int, action: str):
    handover = handovers_visible_to(request.user).filter(pk=object_id(handover_id)).first()
    if action not in ("sent", "received"):
        raise Http404("没有这种操作。")
    if handover is None:
        raise NotInScope("没有找到这项档案移交。", what="archivehandover", object_id=handover_id)
    try:
        if action == "sent":
            services.handover_mark_sent(actor=request.user, handover_id=handover.pk)
            messages.success(request, f"已登记{handover.pupil.name}的档案已移交。")
        else:
            services.handover_confirm_received(actor=request.user, handover_id=handover.pk)
            messages.success(request, f"已确认收到{handover.pupil.name}的档案。")
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    return redirect("archives:handover_list")
