"""Rendering a Django template to PDF with WeasyPrint.

Documents extend ``templates/documents/base.html``, which links ``static/css/print.css`` (A4,
the Noto CJK fonts from Debian's fonts-noto-cjk, page numbers). WeasyPrint never goes to the
network or the file system on its own here: every URL a document names is resolved by
``LocalOnlyFetcher`` — static files through Django's finders (or, collected under hashed names in
production, the staticfiles storage), private uploads (photos) through the default storage — and
a PNG the app drew (``data:image/png;base64,…``) is read from its URL, and
any other URL is refused. A template that printed pupil data into an ``<img src>`` could
otherwise make the server read local files or call out to other hosts.

Documents are laid out with WeasyPrint's own user-agent stylesheet less six rules that match
every element: ``::marker`` and the footnote and note pseudo-elements (``::footnote-call``, …).
WeasyPrint computes a style for each pseudo-element a rule matches, so these six made it compute
seven styles for every element of a document; a class's 学籍卡 lays out about a sixth faster
without them. ``::marker`` now applies to list items only (``li``, ``summary``), and the footnote
and note rules to elements of class ``footnote`` (no document uses footnotes).
"""

import base64
import mimetypes
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint import html as weasyprint_html
from weasyprint.css.counters import CounterStyle
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

# Documents are rendered as if they lived on this host, so that "/static/…" and the photos'
# "/private-not-served/…" URLs become absolute; the .invalid name (RFC 2606) never resolves, and
# the fetcher below answers for it without any connection.
DOCUMENT_BASE_URL = "https://documents.xueji.invalid/"
# The one kind of data: URL a document may hold: a PNG the app drew (a QR code).
PNG_DATA_URL = "data:image/png;base64,"


class LocalOnlyFetcher(URLFetcher):
    """Answers WeasyPrint's requests from static files and private storage, nothing else."""

    def fetch(self, url, headers=None):
        if url.startswith(PNG_DATA_URL):
            # An image drawn by the app itself (the 申请表's QR code, xueji/documents/qr.py): the
            # bytes are in the URL, nothing is read or fetched.
            return URLFetcherResponse(url, base64.b64decode(url.removeprefix(PNG_DATA_URL), validate=True),
                                      {"Content-Type": "image/png"})
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}/" != DOCUMENT_BASE_URL:
            raise ValueError(f"文档只能引用本系统的文件：{url}")
        path = unquote(parts.path)
        if path.startswith(settings.STATIC_URL):
            return self._static_file(url, path.removeprefix(settings.STATIC_URL))
        if path.startswith(settings.MEDIA_URL):
            return self._private_file(url, path.removeprefix(settings.MEDIA_URL))
        raise ValueError(f"文档只能引用静态文件或上传的照片：{url}")

    @staticmethod
    def _static_file(url: str, name: str) -> URLFetcherResponse:
        # The finders know the source files (development, tests); in production {% static %}
        # names the collected copy with its hash ("css/print.3f2a….css"), which only the
        # staticfiles storage (STATIC_ROOT) has.
        found = finders.find(name)
        if found:
            with open(found, "rb") as handle:
                body = handle.read()
        elif staticfiles_storage.exists(name):
            with staticfiles_storage.open(name, "rb") as handle:
                body = handle.read()
        else:
            # A missing stylesheet would print an unstyled document that still looks like a
            # success: stop the rendering instead.
            raise FatalURLFetchingError(f"找不到静态文件 {name}")
        return URLFetcherResponse(url, body, {"Content-Type": _content_type(name)})

    @staticmethod
    def _private_file(url: str, name: str) -> URLFetcherResponse:
        # A photo whose file has gone missing only loses its image (WeasyPrint logs a warning
        # and prints the alt text): one lost file must not stop a whole class's documents.
        # The storage refuses names that climb out of MEDIA_ROOT.
        with default_storage.open(name, "rb") as handle:
            body = handle.read()
        return URLFetcherResponse(url, body, {"Content-Type": _content_type(name)})


def _content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _lean_ua_stylesheet():
    """WeasyPrint's user-agent stylesheet with its universal pseudo-element rules narrowed (see
    the module's docstring); WeasyPrint's own if its text has changed and they are not found."""
    text = weasyprint_html.UA
    narrowed = text.replace("\n::marker {", "\nli::marker, summary::marker {")
    for pseudo in ("footnote-call", "footnote-marker", "note-call", "note-marker", "note-callback"):
        narrowed = narrowed.replace(f"\n::{pseudo} {{", f"\n.footnote::{pseudo} {{")
    if "\n::" in narrowed or narrowed == text:  # another WeasyPrint: keep its stylesheet whole
        return weasyprint_html.UA_STYLESHEET
    # Its @counter-style rules are already in WeasyPrint's UA_COUNTER_STYLE, which every document
    # starts from: parsed into a scratch set here, not defined twice.
    return CSS(string=narrowed, counter_style=CounterStyle())


class DocumentHTML(HTML):
    """WeasyPrint's HTML with the lean user-agent stylesheet."""

    _ua_stylesheet = None

    def _ua_stylesheets(self, forms=False):
        if DocumentHTML._ua_stylesheet is None:
            DocumentHTML._ua_stylesheet = _lean_ua_stylesheet()
        sheets = [DocumentHTML._ua_stylesheet]
        return sheets + [weasyprint_html.UA_FORM_STYLESHEET] if forms else sheets


class DocumentRenderError(RuntimeError):
    """A document could not be printed whole (its stylesheet is missing, say)."""


def render_pdf(template_name: str, context: dict) -> bytes:
    """The template rendered to a PDF document (one WeasyPrint render, however many pages).
    Prints that users make go through ``xueji.documents.printing.print_pdf``, which builds on
    ``layout_html`` and ``write_pages`` below and records the document under its code."""
    return write_pages([layout_html(render_to_string(template_name, context))])


def layout_html(html: str, *, font_config=None, cache: dict | None = None):
    """The HTML laid out in pages (a WeasyPrint ``Document``), not yet written. Documents laid
    out with the same ``font_config`` and image ``cache`` can be written as one PDF."""
    try:
        document = DocumentHTML(string=html, base_url=DOCUMENT_BASE_URL, url_fetcher=LocalOnlyFetcher())
        return document.render(font_config=font_config, cache=cache)
    except FatalURLFetchingError as error:
        # WeasyPrint's fatal error is a BaseException, which views, Celery and `except Exception`
        # would let through to the worker process: hand the caller an ordinary exception.
        raise DocumentRenderError(str(error)) from error


def write_pages(documents: list) -> bytes:
    """The pages of one or more laid-out documents written as one PDF (one write_pdf())."""
    first = documents[0]
    combined = first if len(documents) == 1 else first.copy([page for d in documents for page in d.pages])
    try:
        return combined.write_pdf()
    except FatalURLFetchingError as error:
        raise DocumentRenderError(str(error)) from error
