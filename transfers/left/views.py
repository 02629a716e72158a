"""Pages of the sending school's copies: the list of pupils who left ("已转出学生") and one copy,
read-only. Every copy read is recorded like a record read (pupil.view)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from transfers.left.selectors import get_left_copy_for_user, left_copy_list, left_record
from xueji.accounts.audit import audit_record
from xueji.approvals.kinds import kind_label
from xueji.codes import GRADE_LABELS
from xueji.paginators import CappedPaginator, query_without_page
from xueji.pupils.lookup import audit_number_search
from xueji.pupils.national_record import family_members, pupil_groups
from xueji.pupils.visibility import visibility_for

PAGE_SIZE = 50


def describe(copy, user) -> None:
    """The list's and the page's labels of a copy, its 学籍号 as the user may see it."""
    copy.shown_number = visibility_for(user, copy.school).student_number(copy.student_number)
    copy.kind_label = kind_label(copy.kind)
    copy.grade_label = GRADE_LABELS.get(copy.grade, "")


@login_required
def left_list(request):
    query = request.GET.get("q", "").strip()[:50]
    copies = left_copy_list(request.user, query)
    page = CappedPaginator(copies, PAGE_SIZE).get_page(request.GET.get("page"))
    audit_number_search(query, found=page.paginator.count, capped=page.paginator.capped)
    for copy in page.object_list:
        describe(copy, request.user)
    schools = {copy.school_id for copy in page.object_list}
    return render(request, "transfers/left_list.html", {
        "page": page, "q": query, "query_string": query_without_page(request), "several_schools": len(schools) > 1,
    })


@login_required
def left_detail(request, copy_id: int):
    copy = get_left_copy_for_user(request.user, copy_id)
    describe(copy, request.user)
    record = left_record(copy)
    vis = visibility_for(request.user, copy.school)
    audit_record(action="pupil.view", obj=copy.pupil, detail=f"查看已转出学生的留存记录（{copy.left_on:%Y-%m-%d}离校）")
    return render(request, "transfers/left_detail.html", {
        "copy": copy, "record": record, "vis": vis,
        "groups": pupil_groups(record.pupil, vis) if record.pupil else [],
        "members": family_members(record.guardians, vis, members=0),
    })
