"""Rendering a Django template to PDF with WeasyPrint.

Documents extend ``templates/documents/base.html``, which links ``static/css/print.css`` (A4,
the Noto CJK fonts from Debian's fonts-noto-cjk, page numbers). WeasyPrint never goes to the
network or the file system on its own here: every URL a document names is resolved by
``LocalOnlyFetcher`` — static files through Django's finders (or, collected under hashed names in
production, the staticfiles storage), private uploads (photos) through the default storage — and
any other URL is refused. A template that printed pupil data into an ``<img src>`` could
otherwise make the server read local files or call out to other hosts.
"""

import mimetypes
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

# Documents are rendered as if they lived on this host, so that "/static/…" and the photos'
# "/private-not-served/…" URLs become absolute; the .invalid name (RFC 2606) never resolves, and
# the fetcher below answers for it without any connection.
DOCUMENT_BASE_URL = "https://documents.xueji.invalid/"


class LocalOnlyFetcher(URLFetcher):
    """Answers WeasyPrint's requests from static files and private storage, nothing else."""

    def fetch(self, url, headers=None):
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


class DocumentRenderError(RuntimeError):
    """A document could not be printed whole (its stylesheet is missing, say)."""


def render_pdf(template_name: str, context: dict) -> bytes:
    """The template rendered to a PDF document (one WeasyPrint render, however many pages)."""
    html = render_to_string(template_name, context)
    try:
        document = HTML(string=html, base_url=DOCUMENT_BASE_URL, url_fetcher=LocalOnlyFetcher())
        return document.write_pdf()
    except FatalURLFetchingError as error:
        # WeasyPrint's fatal error is a BaseException, which views, Celery and `except Exception`
        # would let through to the worker process: hand the caller an ordinary exception.
        raise DocumentRenderError(str(error)) from error
