"""The one way a user prints a document: ``print_pdf`` (and ``export_xlsx`` for spreadsheets).

Every printed document carries in its footer a verification code (核验码: 8 characters of
Crockford's base32, no I, L, O or U to misread; printed as "7KQ4-M2XD"), who printed it and when
(``xueji/documents/templates/documents/base.html`` draws the footer from the ``stamp`` it is given). Printing
writes a ``PrintedDocument`` under that code — kind, title, who, when, the unit, the pupils as the
paper names them, the request, the page count and the SHA-256 of the bytes — and an audit entry,
in one transaction after the render. The verification page (xueji/documents/views.py) looks a
code up.

A print is rendered with one WeasyPrint ``write_pdf()``: one HTML for a document, however many
pages; or, for a batch with a progress bar (a school's 学籍卡), several HTML chunks laid out one
by one (``chunks``) and written together as one PDF.

Titles and subjects name no pupil (the verification page shows them to whoever holds the code;
the pupils only to those who may see them).

The caller decides who may print what (``get_*_for_user``: 404 outside the user's scope) and
prints numbers as that user may see them; the summary of pupils is given as printed
(``printed_pupil``).

Switching a print from ``xueji.documents.pdf.render_pdf`` to this service::

    printed = print_pdf(user=request.user, kind="monthly_report", title="2026年11月学籍变动月报",
                        template="reports/monthly_report.html", context=context, unit=school)
    return pdf_response(printed, "学籍变动月报-农安县实验小学-2026-11.pdf")

The template extends ``documents/base.html`` (it then gets the footer) and must not print its own
"printed by" line.
"""

import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint.text.fonts import FontConfiguration

from xueji.accounts.audit import audit_record
from xueji.accounts.models import Unit, User
from xueji.approvals.models import ChangeRequest
from xueji.documents.memory import cycle_collector_paused
from xueji.documents.models import PrintedDocument
from xueji.documents.pdf import layout_html, write_pages
from xueji.identity import mask_student_number
from xueji.pupils.models import Pupil, SchoolClass

PRINT_ACTION = "document.print"
EXPORT_ACTION = "document.export"
# Crockford's base32: digits and capitals without I, L, O and U.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
# What a reader may type for what the code means (Crockford's decoding): O for 0, I and L for 1.
CODE_READING = str.maketrans({"O": "0", "I": "1", "L": "1"})
PENDING_NUMBER = "待建籍"

# The kinds of document and what the verification page calls them (apps add theirs with
# register_document_kind from their AppConfig.ready()).
DOCUMENT_KINDS = {
    "registration_card": "学籍卡",
    "info_sheet": "学生基本信息表",
    "class_roster": "花名册",
    "class_roster_xlsx": "花名册（Excel）",
    "application_form": "申请表",
    "return_notice": "劝返复学通知书",
}


def register_document_kind(kind: str, label: str) -> None:
    DOCUMENT_KINDS[kind] = label


def document_kind_label(kind: str) -> str:
    return DOCUMENT_KINDS.get(kind, kind)


@dataclass(frozen=True)
class DocumentStamp:
    """What the footer of a document prints (templates/documents/base.html reads ``stamp``)."""

    code: str
    printed_by: str
    printed_at: datetime

    @property
    def display_code(self) -> str:
        return f"{self.code[:4]}-{self.code[4:]}"


@dataclass(frozen=True)
class PrintedPupil:
    """A pupil as the document names them: the record's id (None for an enrolment entry not yet
    approved), the name and the 学籍号 as printed (masked where the printing user sees it so)."""

    id: int | None
    name: str
    number: str


@dataclass(frozen=True)
class PrintedPdf:
    content: bytes
    record: PrintedDocument

    @property
    def code(self) -> str:
        return self.record.display_code


@dataclass
class _Subject:
    """What a document is about, for its record."""

    unit: Unit | None = None
    school_class: SchoolClass | None = None
    request: ChangeRequest | None = None
    subject: str = ""
    pupils: list[PrintedPupil] = field(default_factory=list)


def printed_pupil(pupil: Pupil, *, full: bool = True, visibility=None) -> PrintedPupil:
    """The summary of a pupil as printed for a user who sees numbers in full or masked: as
    ``visibility`` (xueji.pupils.visibility.Visibility) says when given, else as ``full`` says."""
    if visibility is not None:
        return PrintedPupil(pupil.pk, pupil.name, visibility.student_number(pupil.student_number) or PENDING_NUMBER)
    number = pupil.student_number or PENDING_NUMBER
    return PrintedPupil(pupil.pk, pupil.name, number if full or not pupil.student_number else mask_student_number(number))


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str | None:
    """The code a person typed ("7kq4-m2xd", "7KQ4 M2XD", "7KQ4-M2XO"), or None if it cannot be one."""
    code = "".join(str(text or "").split()).replace("-", "").upper().translate(CODE_READING)
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def print_pdf(
    *,
    user: User,
    kind: str,
    title: str,
    template: str,
    context: dict | None = None,
    chunks: Sequence[dict] | None = None,
    unit: Unit | None = None,
    pupils: Iterable[Pupil | PrintedPupil] = (),
    request: ChangeRequest | None = None,
    school_class: SchoolClass | None = None,
    subject: str = "",
    audit_action: str = PRINT_ACTION,
    audit_obj=None,
    audit_unit: Unit | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PrintedPdf:
    """Print ``template`` with ``context`` (or each context of ``chunks`` laid out in turn, calling
    ``progress(done, total)`` after each) as one PDF whose footer carries a new verification code,
    the user's name and the time; record it and write the audit entry."""
    contexts = list(chunks) if chunks is not None else [context or {}]
    font_config = FontConfiguration()  # shared by the chunks, so that their pages are one PDF
    images: dict = {}

    def produce(stamp: DocumentStamp) -> tuple[bytes, int]:
        documents = []
        with cycle_collector_paused():
            for done, chunk in enumerate(contexts, start=1):
                html = render_to_string(template, {**chunk, "stamp": stamp})
                documents.append(layout_html(html, font_config=font_config, cache=images))
                if progress is not None:
                    progress(done, len(contexts))
            content = write_pages(documents)
        return content, sum(len(document.pages) for document in documents)

    about = _Subject(unit, school_class, request, subject, [_summary(p) for p in pupils])
    record = _issue(user=user, kind=kind, title=title, file_format="pdf", produce=produce, about=about)
    _audit(record, action=audit_action, obj=audit_obj, user=user, unit=audit_unit, about=about)
    return PrintedPdf(record.content, record)


def export_xlsx(
    *,
    user: User,
    kind: str,
    title: str,
    build: Callable[[DocumentStamp], bytes],
    unit: Unit | None = None,
    pupils: Iterable[Pupil | PrintedPupil] = (),
    school_class: SchoolClass | None = None,
    subject: str = "",
    audit_action: str = EXPORT_ACTION,
    audit_obj=None,
) -> PrintedPdf:
    """A spreadsheet export, recorded like a print: ``build(stamp)`` writes the code, the user and
    the time into the workbook (a cell) and returns its bytes."""
    about = _Subject(unit, school_class, None, subject, [_summary(p) for p in pupils])
    record = _issue(user=user, kind=kind, title=title, file_format="xlsx",
                    produce=lambda stamp: (build(stamp), None), about=about)
    _audit(record, action=audit_action, obj=audit_obj, user=user, unit=None, about=about)
    return PrintedPdf(record.content, record)


def _summary(pupil: Pupil | PrintedPupil) -> PrintedPupil:
    return pupil if isinstance(pupil, PrintedPupil) else printed_pupil(pupil)


def _user_name(user: User) -> str:
    return str(user)[:150]


def _issue(*, user: User, kind: str, title: str, file_format: str, produce, about: _Subject) -> PrintedDocument:
    """Draw an unused code, produce the file with it, write the record. Two prints drawing the
    same code at the same moment (one chance in 10^12) cannot both be recorded: the unique
    index refuses the second, which is produced again with another code."""
    printed_at = timezone.localtime()
    for _attempt in range(3):
        code = new_code()
        if PrintedDocument.objects.filter(code=code).exists():
            continue
        stamp = DocumentStamp(code=code, printed_by=_user_name(user), printed_at=printed_at)
        content, pages = produce(stamp)
        try:
            with transaction.atomic():
                record = PrintedDocument.objects.create(
                    code=code, kind=kind, title=title[:200], printed_by=user, printed_by_name=stamp.printed_by,
                    printed_at=printed_at, unit=about.unit, unit_name=about.unit.name[:200] if about.unit else "",
                    unit_path=about.unit.path if about.unit else "", subject=about.subject[:200],
                    school_class=about.school_class, change_request=about.request,
                    pupil_ids=[p.id for p in about.pupils if p.id is not None],
                    pupils=[{"id": p.id, "name": p.name, "number": p.number} for p in about.pupils],
                    pupil_count=len(about.pupils), file_format=file_format, page_count=pages,
                    sha256=hashlib.sha256(content).hexdigest(), size=len(content),
                )
        except IntegrityError:
            if PrintedDocument.objects.filter(code=code).exists():
                continue
            raise
        record.content = content
        return record
    raise RuntimeError("无法分配核验码，请重试。")


def _audit(record: PrintedDocument, *, action: str, obj, user: User, unit: Unit | None, about: _Subject) -> None:
    target = obj or about.request or about.school_class
    if target is None and len(about.pupils) == 1 and about.pupils[0].id is not None:
        target = Pupil.objects.filter(pk=about.pupils[0].id).select_related("school").first()
    target = target or about.unit
    pages = f"，{record.page_count} 页" if record.page_count else ""
    scope = f"{about.subject}，" if about.subject else ""
    detail = f"{'导出' if record.file_format == 'xlsx' else '打印'}{record.title}（{scope}{record.pupil_count} 名学生{pages}，核验码 {record.display_code}）"
    audit_record(action=action, obj=target, user=user, unit=unit, detail=detail)


def content_disposition(filename: str, *, inline: bool, fallback: str) -> str:
    """A Chinese file name for browsers (RFC 6266 filename*), an ASCII one for the rest."""
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def pdf_response(printed: PrintedPdf, filename: str, *, inline: bool = True) -> HttpResponse:
    """The printed PDF as a response (shown in the browser, saved under a Chinese name)."""
    response = HttpResponse(printed.content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(filename, inline=inline,
                                                          fallback=f"document-{printed.record.code}.pdf")
    response["X-Document-Code"] = printed.record.display_code
    # Pupil data: not kept by shared caches or the browser's disk cache.
    response["Cache-Control"] = "private, no-store"
    if inline:
        # The browser's PDF viewer draws an inline PDF in a page of its own making (an <embed>,
        # inline styles), which the site's Content-Security-Policy would block in older Chromium
        # browsers (crbug.com/271452): a PDF shown in the browser is only kept out of frames.
        response._csp_config = {"frame-ancestors": ["'none'"]}  # read by csp.middleware.CSPMiddleware
    return response
