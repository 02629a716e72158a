"""Pages of the paper archive (纸质学籍档案, archives/paper/services.py): a school's completeness by class
and the list of what is missing; a class's files with bulk marking (a class at once, or the
pupils ticked); one pupil's checklist; the bureau's table of its schools.

Outside the user's scope: 404. A head teacher, who keeps no paper files: 403."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from archives.paper import services as paper
from xueji.accounts.permissions import NotAllowed
from xueji.accounts.scoping import NotInScope, current_membership
from xueji.pupils.scoping import get_class_for_user


class BulkForm(forms.Form):
    scope = forms.ChoiceField(label="范围", choices=[("selected", "所勾选的学生"), ("class", "全班学生")],
                              initial="selected", widget=forms.RadioSelect)
    action = forms.ChoiceField(label="标记为", choices=[("", "请选择"), *paper.BULK_ACTIONS.items()],
                               error_messages={"required": "请选择要执行的操作。"})
    box_number = forms.CharField(label="档案盒号", required=False, max_length=paper.BOX_MAX)


def _schools_or_403(user):
    schools = list(paper.paper_schools_visible_to(user).order_by("path"))
    if not schools:
        raise NotAllowed("纸质学籍档案由学校学籍管理员管理，您的身份无权查看。")
    return schools


@login_required
def paper_overview(request):
    """A school's own people go to their school's page; bureaus and central schools see each
    school's completeness."""
    schools = _schools_or_403(request.user)
    membership = current_membership(request)
    if membership is not None and membership.role in ("registrar", "headmaster"):
        return redirect("archives:paper_school", membership.unit_id)
    if len(schools) == 1:
        return redirect("archives:paper_school", schools[0].pk)
    rows = paper.schools_completeness(request.user)
    total = paper.Completeness(label="合计")
    for row in rows:
        for name in ("pupils", "complete", "with_missing", "unchecked", "no_box", "missing_items"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return render(request, "archives/paper_overview.html", {"rows": rows, "total": total})


@login_required
def paper_school(request, school_id: int):
    school = paper.get_paper_school_for_user(request.user, school_id)
    total, classes, lacking = paper.school_completeness(school)
    return render(request, "archives/paper_school.html", {
        "school": school, "total": total, "classes": classes, "lacking": lacking,
        "may_mark": paper.may_mark(request.user, school.pk),
    })


def _paper_class(user, class_id):
    school_class = get_class_for_user(user, class_id)
    if not paper.paper_schools_visible_to(user).filter(pk=school_class.school_id).exists():
        raise NotInScope("没有找到这个班级的纸质档案，或您无权查看。", what="schoolclass", object_id=class_id)
    return school_class


@login_required
def paper_class(request, class_id: int):
    school_class = _paper_class(request.user, class_id)
    school = school_class.school
    pupils = list(paper.pupils_on_roll(school).filter(school_class=school_class))
    may_mark = paper.may_mark(request.user, school.pk)
    form = BulkForm(request.POST or None)
    if request.method == "POST":
        if not may_mark:
            raise NotAllowed("只有本校学籍管理员可以核对纸质档案。")
        if form.is_valid():
            data = form.cleaned_data
            if data["scope"] == "class":
                ids = [p.pk for p in pupils]
            else:
                try:
                    ids = [int(value) for value in request.POST.getlist("pupils")]
                except ValueError:
                    ids = []
            try:
                count = paper.paper_checklists_mark_bulk(actor=request.user, school=school, pupil_ids=ids,
                                                         action=data["action"], box_number=data["box_number"])
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, f"已将 {count} 名学生的档案标记为“{paper.BULK_ACTIONS[data['action']]}”"
                                          + (f"：{data['box_number'].strip()}" if data["action"] == "box" else "") + "。")
                return redirect("archives:paper_class", school_class.pk)
    checklists = paper.checklists_for(pupils)
    summary = paper.Completeness(label=school_class.name)
    for checklist in checklists:
        summary.add(checklist)
    return render(request, "archives/paper_class.html", {
        "school_class": school_class, "school": school, "checklists": checklists, "summary": summary,
        "form": form, "may_mark": may_mark, "base_items": paper.BASE_ITEMS,
    })


@login_required
def paper_pupil(request, pupil_id: int):
    pupil = paper.get_paper_pupil_for_user(request.user, pupil_id)
    may_mark = paper.may_mark(request.user, pupil.school_id) and pupil.status in paper.ON_ROLL
    errors = []
    if request.method == "POST":
        if not may_mark:
            raise NotAllowed("只有本校学籍管理员可以核对纸质档案。")
        marks = {}
        for index, key in enumerate(request.POST.getlist("key")):
            state = request.POST.get(f"state-{index}", "")
            if state in (paper.PRESENT, paper.MISSING):
                marks[key] = state == paper.PRESENT
        try:
            paper.paper_checklist_mark(actor=request.user, pupil=pupil, marks=marks,
                                       box_number=request.POST.get("box_number", ""))
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, f"已保存{pupil.name}的纸质档案核对结果。")
            return redirect("archives:paper_pupil", pupil.pk)
    [checklist] = paper.checklists_for([pupil])
    return render(request, "archives/paper_pupil.html", {
        "pupil": pupil, "checklist": checklist, "may_mark": may_mark, "errors": errors,
        "class_url": reverse("archives:paper_class", args=[pupil.school_class_id]) if pupil.school_class_id else "",
    }, status=400 if errors else 200)


def pupil_actions(user, pupil) -> list[tuple[str, str]]:
    """纸质档案, on the pupil's page, for those who keep or oversee the school's paper files."""
    if pupil.status not in paper.ON_ROLL or not paper.paper_schools_visible_to(user).filter(pk=pupil.school_id).exists():
        return []
    return [("纸质档案", reverse("archives:paper_pupil", args=[pupil.pk]))]
