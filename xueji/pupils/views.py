"""Pages of pupils: the list (search and filters) and the pupil's record (as it stands or as it
stood on a day, its history, its numbers, its requests), sanctions."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from xueji.accounts.audit import audit_record
from xueji.accounts.models import User
from xueji.accounts.permissions import holds
from xueji.accounts.scoping import schools_visible_to
from xueji.codes import DisabilityPlacement
from xueji.paginators import CappedPaginator, query_without_page
from xueji.pupils.actions import pupil_actions
from xueji.pupils.filters import PupilFilterSet
from xueji.pupils.forms import SanctionForm
from xueji.pupils.lookup import audit_number_search
from xueji.pupils.national_record import family_members, pupil_groups
from xueji.pupils.scoping import get_pupil_for_user
from xueji.pupils.selectors import guardians_as_of, partial_id_number, pupil_as_of, pupil_field_history, pupil_list
from xueji.pupils.services import SANCTION_ROLES, sanction_record
from xueji.pupils.visibility import schools_seeing, visibility_for

PAGE_SIZE = 50


@login_required
def pupil_list_view(request):
    # Ids and names only: a province officer's scope holds over 8,000 schools, whose model
    # instances took longer to make than the search itself.
    schools = list(schools_visible_to(request.user).order_by("path").values_list("pk", "name"))
    filters = PupilFilterSet(request.GET, pupil_list(request.user), request=request)
    filters.offer_choices(schools)
    page = CappedPaginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    if filters.form.is_valid():
        audit_number_search(filters.form.cleaned_data.get("search") or "", found=page.paginator.count,
                            capped=page.paginator.capped)
    for pupil in page.object_list:
        vis = visibility_for(request.user, pupil)
        pupil.shown_number = vis.student_number(pupil.student_number)
        # 送教上门 pupils are listed as such, to those who see the disability group.
        pupil.home_taught = vis.sees["disability"] and pupil.disability_placement == DisabilityPlacement.HOME_TEACHING
    context = {"form": filters.form, "page": page, "several_schools": len(schools) > 1, "query_string": query_without_page(request),
               "partial_id_number": partial_id_number(request.GET.get("q", "")),
               "placement_filter": schools_seeing(request.user, "disability") is not None}
    template = "pupils/_pupil_rows.html" if request.htmx and request.htmx.target == "pupil-results" else "pupils/pupil_list.html"
    return render(request, template, context)


@login_required
def pupil_detail(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    as_of_text = request.GET.get("as_of", "")
    as_of, as_of_error, shown, guardians = None, "", pupil, list(pupil.guardians.all())
    if as_of_text:
        try:
            as_of = date.fromisoformat(as_of_text)
        except ValueError:
            as_of_error = "日期格式应为 年-月-日，例如 2026-09-01。"
        else:
            shown = pupil_as_of(pupil, as_of)
            guardians = guardians_as_of(pupil, as_of) if shown else []
            if shown is None:
                as_of_error = f"{as_of.year}年{as_of.month}月{as_of.day}日时该学生尚未建立学籍。"
                shown = pupil
    # What of the record the user sees: in full, masked or not at all (xueji.pupils.visibility).
    vis = visibility_for(request.user, pupil)
    history = pupil_field_history(pupil)
    names = dict(User.objects.filter(pk__in={c.user_id for c in history if c.user_id}).values_list("pk", "full_name"))
    audit_record(action="pupil.view", obj=pupil, detail=f"查看学籍{'（' + as_of_text + '）' if as_of else ''}")
    return render(
        request,
        "pupils/pupil_detail.html",
        {
            "pupil": pupil,
            "shown": shown,
            "guardians": guardians,
            "as_of": as_of,
            "as_of_error": as_of_error,
            "vis": vis,
            # The 48 items of the national form and the family block, as the user may see them.
            "groups": pupil_groups(shown, vis),
            "members": family_members(guardians, vis, members=0),
            "numbers": pupil.numbers.all(),
            "status_changes": pupil.status_changes.select_related("changed_by", "school"),
            "history": [
                (change, names.get(change.user_id, ""), vis.history_value(change.field, change.old),
                 vis.history_value(change.field, change.new))
                for change in reversed(history)
            ],
            "problems": pupil.problems.filter(resolution=""),
            "actions": pupil_actions(request.user, pupil),
            "sanctions": pupil.sanctions.all(),
            "may_record_sanction": holds(request.user, SANCTION_ROLES, pupil.school_id),
            "sanction_form": SanctionForm(),
        },
    )


@login_required
@require_POST
def pupil_sanction_add(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    form = SanctionForm(request.POST)
    if form.is_valid():
        try:
            sanction_record(actor=request.user, pupil=pupil, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, "处分已登记。")
    else:
        for field in form:
            for error in field.errors:
                messages.error(request, f"{field.label}：{error}")
    return redirect("pupils:pupil_detail", pupil.pk)
