"""Pages of printed documents: the 学籍卡 (a pupil's at once, a class's through a job printed by a
worker, xueji/documents/jobs.py; a grade's or a school's
only through an approved export request, xueji/documents/exports.py), and the verification page
that looks a printed document up by the code in its footer.

Every object is loaded through the scoping helpers (404 outside the user's scope); a head teacher
prints the own class. Every print is recorded and audited by xueji.documents.printing.
"""

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from xueji.accounts.audit import audit_record
from xueji.accounts.models import Unit, UnitKind
from xueji.accounts.scoping import NotInScope, get_school_for_user, object_id, schools_visible_to
from xueji.codes import GRADE_LABELS
from xueji.documents.cards import IN_SCHOOL, cards_pdf, may_print_school, pupils_for_cards
from xueji.documents.exports import SchoolCardsExportKind, card_scope_value
from xueji.documents.job_views import job_start
from xueji.documents.models import PrintedDocument
from xueji.documents.printing import document_kind_label, normalize_code, pdf_response
from xueji.pupils.scoping import (
    classes_visible_to,
    get_class_for_user,
    get_pupil_for_user,
    pupils_visible_to,
)
from xueji.pupils.visibility import visibility_for

# 学籍卡 --------------------------------------------------------------------------------------

def pupil_actions(user, pupil) -> list[tuple[str, str]]:
    """打印学籍卡 and 打印学生基本信息表 on the pupil's page, for whoever sees the pupil
    (xueji.pupils.actions)."""
    return [("打印学籍卡", reverse("documents:pupil_card", args=[pupil.pk])),
            ("打印学生基本信息表", reverse("documents:pupil_info_sheet", args=[pupil.pk]))]


def pupil_card_response(user, pupil_id):
    """One pupil's card as a PDF response (pages and the API). At once: one page renders in a
    fraction of a second, less than a job's round trip (a class's cards are a job)."""
    pupil = get_pupil_for_user(user, pupil_id)
    pupils = pupils_for_cards(pupils_visible_to(user).filter(pk=pupil.pk))
    printed = cards_pdf(pupils, user=user, unit=pupil.school, subject="")
    return pdf_response(printed, f"学籍卡-{pupil.name}.pdf")


@login_required
def pupil_card(request, pupil_id: int):
    """打印学籍卡, from the pupil's page."""
    return pupil_card_response(request.user, pupil_id)


@login_required
def pupil_info_sheet(request, pupil_id: int):
    """打印学生基本信息表 of one existing pupil, from the pupil's page: the national form for the
    guardian to check. Scoped like the pupil's card (404 outside the user's scope), printed as the
    user sees the record (xueji.pupils.visibility), recorded under its verification code and
    audited (xueji.documents.printing)."""
    from xueji.documents.rosters import pupils_for_print, student_info_sheets_pdf

    pupil = get_pupil_for_user(request.user, pupil_id)
    pupils = pupils_for_print(pupils_visible_to(request.user).filter(pk=pupil.pk))
    printed = student_info_sheets_pdf(pupils, user=request.user, school=pupil.school,
                                      title_year=timezone.localdate().year, audit_obj=pupil)
    return pdf_response(printed, f"学生基本信息表-{pupil.name}.pdf")


@login_required
@require_http_methods(["GET", "POST"])
def class_cards(request, class_id: int):
    """打印本班学籍卡: every pupil of the class in school, one PDF, printed by a worker
    (ClassCardsJob): POST starts it (or finds the kept one) and leads to its page."""
    return job_start(request, "class_cards", {"class": object_id(class_id)})


def _school_for_cards(user, school_id):
    """The school, if the user sees it and prints something of it: the whole school (registrar,
    headmaster, central school, bureaus) or classes of it (a head teacher); else 404."""
    school = get_school_for_user(user, school_id)
    if not may_print_school(user, school) and not classes_visible_to(user).filter(school=school).exists():
        raise NotInScope("没有找到这所学校，或您无权查看。", what="unit", object_id=school_id)
    return school


@login_required
def cards_home(request):
    """打印学籍卡: straight to the school's page for a user of one school; a bureau's schools
    otherwise, with a filter by name."""
    schools = schools_visible_to(request.user).order_by("path", "name")
    query = request.GET.get("q", "").strip()[:50]
    own = [s for s in schools[:2]]
    if len(own) == 1 and not query:
        return redirect("documents:school_cards", own[0].pk)
    if query:
        schools = schools.filter(name__contains=query)
    return render(request, "documents/cards_home.html", {"schools": schools[:200], "query": query,
                                                      "more": schools.count() > 200})


@login_required
def school_cards(request, school_id: int):
    """The school's page for printing: each class's cards and roster at once; a grade's or the
    whole school's cards through an export request (申请导出: the form, prefilled)."""
    school = _school_for_cards(request.user, school_id)
    whole = may_print_school(request.user, school)
    classes = list(
        classes_visible_to(request.user).filter(school=school, pupils__status__in=IN_SCHOOL,
                                                pupils__deleted_at__isnull=True)
        .select_related("school_year").distinct().order_by("grade", "number")
    )
    counts = {}
    if classes:
        for class_id in (
            pupils_visible_to(request.user).filter(school_class__in=classes, status__in=IN_SCHOOL,
                                                    deleted_at__isnull=True).values_list("school_class_id", flat=True)
        ):
            counts[class_id] = counts.get(class_id, 0) + 1
    grades = []
    for grade, group in groupby(classes, key=lambda c: c.grade):
        group = list(group)
        for school_class in group:
            school_class.pupil_count = counts.get(school_class.pk, 0)
        grades.append({"grade": grade, "label": GRADE_LABELS.get(grade, grade), "classes": group,
                       "pupils": sum(c.pupil_count for c in group)})
    return render(request, "documents/school_cards.html", {
        "school": school, "grades": grades, "whole": whole, "total": sum(g["pupils"] for g in grades),
        "export_kind": SchoolCardsExportKind.code,
        "export_scopes": [(card_scope_value(school.pk, None), f"全校（{sum(g['pupils'] for g in grades)} 人）")]
        + [(card_scope_value(school.pk, g["grade"]), f"{g['label']}（{g['pupils']} 人）") for g in grades],
    })


def _grade_param(value) -> int | None:
    if value in (None, "", "all"):
        return None
    try:
        grade = int(value)
    except (TypeError, ValueError):
        raise Http404("没有这个年级。") from None
    if grade not in GRADE_LABELS:
        raise Http404("没有这个年级。")
    return grade


def school_cards_export_url(school, grade: int | None = None) -> str:
    """The export request's form, prefilled with a school's (or a grade's) cards."""
    return reverse("exports:export_new") + f"?kind={SchoolCardsExportKind.code}&scope={card_scope_value(school.pk, grade)}"


@login_required
@require_POST
def card_job_start(request, school_id: int):
    """Formerly 生成本年级 / 全校学籍卡 (a background job): a school's or a grade's cards now leave
    only through an approved export request (xueji/documents/exports.py). The old button (a page
    still open, a bookmark) leads to the request's form, prefilled."""
    school = _school_for_cards(request.user, school_id)
    if not may_print_school(request.user, school):
        raise NotInScope("没有找到这所学校，或您无权打印全校学籍卡。", what="unit", object_id=school_id)
    url = school_cards_export_url(school, _grade_param(request.POST.get("grade")))
    messages.info(request, "全校或年级学籍卡含大量个人信息，须先申请导出，经分管领导审批后下载。")
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


# Verification ---------------------------------------------------------------------------------

@login_required
def document_verify(request):
    """文书核验: what was printed under a code — the kind, title, who, when, the unit; the pupils
    by name and number to a user who may see them, as a count to anyone else."""
    text = request.GET.get("code", "").strip()[:40]
    context = {"text": text, "document": None, "error": ""}
    if text:
        code = normalize_code(text)
        document = PrintedDocument.objects.filter(code=code).first() if code else None
        if document is None:
            context["error"] = ("核验码应为 8 位字母或数字（如 7KQ4-M2XD）。" if code is None
                                else f"核验码 {text} 不存在：系统中没有以此核验码打印的文书。请核对核验码，或向出具单位核实。")
            audit_record(action="document.verify", user=request.user, result="failed", detail=f"核验码 {text[:20]} 不存在")
        else:
            context.update(_verification(request.user, document))
            audit_record(action="document.verify", obj=document, user=request.user,
                         detail=f"核验{document.title}（核验码 {document.display_code}）")
    return render(request, "documents/document_verify.html", context)


def _verification(user, document: PrintedDocument) -> dict:
    """What the verification page shows of a document to this user."""
    visible = {
        pupil.pk: pupil
        for pupil in pupils_visible_to(user).filter(pk__in=document.pupil_ids).select_related("school")
    } if document.pupil_ids else {}
    # An enrolment entry printed before its record existed has no id: its name is shown to those
    # who see every pupil of the school it was printed for (its registrar and headmaster, the
    # central school and bureaus above it).
    school = Unit.objects.filter(pk=document.unit_id, kind=UnitKind.SCHOOL).first() if document.unit_id else None
    sees_entries = school is not None and may_print_school(user, school)
    shown, hidden = [], 0
    for row in document.pupils:
        pupil = visible.get(row.get("id"))
        if pupil is not None:
            number = visibility_for(user, pupil).student_number(row.get("number", ""))
            shown.append({"name": row.get("name", ""), "number": number, "pupil": pupil})
        elif row.get("id") is None and sees_entries:
            shown.append({"name": row.get("name", ""), "number": row.get("number", ""), "pupil": None})
        else:
            hidden += 1
    return {"document": document, "kind_label": document_kind_label(document.kind), "pupils": shown,
            "hidden": hidden}


@login_required
@require_http_methods(["GET", "POST"])
def class_roster(request, class_id: int, fmt: str):
    """花名册 of a class. The PDF (a print for the class, with its verification code) is printed by
    a worker (ClassRosterJob, xueji/documents/rosters.py): POST starts it and leads to its page.
    The spreadsheet leaves only through an approved export request (xueji/exports,
    xueji/documents/exports.py): its link leads to the request's form, prefilled with the class."""
    if fmt not in ("pdf", "xlsx"):
        raise Http404("只能导出 PDF 或 Excel。")
    if fmt == "xlsx":
        school_class = get_class_for_user(request.user, class_id)
        messages.info(request, "导出含个人信息的 Excel 须先申请，经分管领导审批后下载。")
        return redirect(reverse("exports:export_new") + f"?kind=roster&scope={school_class.pk}")
    return job_start(request, "class_roster", {"class": object_id(class_id)})
