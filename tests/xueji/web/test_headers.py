"""Issue 12: the Content-Security-Policy (no inline script, no inline handler in any template),
Permissions-Policy on every response, Cache-Control: no-store on everything but the static
files, and files downloaded as attachments (photos shown in pages inline, but never cached)."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from tests.transfers.conftest import PDF, start
from xueji.files.proof import check_uploads

REPO_DIR = Path(__file__).resolve().parents[3]


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


# ---- Content-Security-Policy


def test_a_page_allows_scripts_and_styles_from_the_site_only(client, db):
    policy = directives(client.get("/login/"))
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["form-action"] == ["'self'"]


def test_the_policy_is_on_error_pages_and_api_answers_too(client, db):
    for response in (client.get("/no-such-page/"), client.get("/api/v1/pupils/")):
        assert directives(response)["script-src"] == ["'self'"], response.status_code


def test_the_pages_load_the_sites_script_and_no_inline_one(client, db):
    body = client.get("/login/").content.decode()
    assert '<script src="/static/js/app.js" defer></script>' in body
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", body)
    # htmx adds no <style> of its own and evaluates nothing.
    assert '"includeIndicatorStyles": false' in body and '"allowEval": false' in body


def test_swagger_ui_gets_its_inline_style_and_nothing_else(world):
    client = APIClient()
    client.force_authenticate(world.user("officer_a"))
    page = client.get("/api/docs/")
    assert page.status_code == 200
    policy = directives(page)
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["script-src"] == ["'self'"]
    html = page.content.decode()
    # Its start script is a file of its own (SpectacularSwaggerSplitView), not inline.
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html)
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


def test_the_browsable_api_gets_its_inline_styles_and_json_nothing(world):
    client = APIClient()
    client.force_authenticate(world.user("teacher_a1"))
    page = client.get("/api/v1/pupils/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert directives(page)["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives(page)["script-src"] == ["'self'"]
    answer = client.get("/api/v1/pupils/", HTTP_ACCEPT="application/json")
    assert answer.status_code == 200 and directives(answer)["style-src"] == ["'self'"]


def test_only_the_swagger_page_and_the_browsable_api_relax_the_style_policy(client, db):
    assert "'unsafe-inline'" not in client.get("/login/")["Content-Security-Policy"]
    assert "'unsafe-inline'" not in client.get("/no-such-page/")["Content-Security-Policy"]


# ---- templates: no inline script, no inline handler, no inline style in a page

TEMPLATE_DIRS = sorted(
    {*(Path(d) for d in settings.TEMPLATES[0]["DIRS"]), *REPO_DIR.glob("*/templates"), *REPO_DIR.glob("*/*/templates")}
)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc\s*=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[a-zA-Z][^>]*?\s(on[a-z]+|hx-on[:\-a-z]*)\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style[\s>]|\sstyle\s*=", re.IGNORECASE)
# PDFs: WeasyPrint renders them (documents/base.html), no browser ever gets them as a page.
PDF_TEMPLATE = re.compile(r"""\{%\s*extends\s+["']documents/""")


COMMENTS = re.compile(r"\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.DOTALL)


def strip_comments(text: str) -> str:
    """A template without its Django comments (which may well mention a <script>)."""
    return COMMENTS.sub("", text)


def source(path: Path) -> str:
    return strip_comments(path.read_text())


def project_templates() -> list[Path]:
    files = [path for folder in TEMPLATE_DIRS if not any(part.startswith(".") for part in folder.relative_to(REPO_DIR).parts)
             for path in folder.rglob("*.html")]
    assert len(files) > 50, TEMPLATE_DIRS  # the scan found the templates
    return sorted(set(files))


@pytest.mark.parametrize(
    "pattern, what",
    [(INLINE_SCRIPT, "an inline <script>"), (INLINE_HANDLER, "an inline event handler"),
     (JAVASCRIPT_URL, "a javascript: address")],
)
def test_no_template_has_inline_script(pattern, what):
    found = [f"{path.relative_to(REPO_DIR)}: {match.group(0)[:80]}"
             for path in project_templates() for match in pattern.finditer(source(path))]
    assert not found, f"{what} (move it into static/js/app.js, with a data- attribute):\n" + "\n".join(found)


def test_no_page_template_has_inline_style():
    found = [f"{path.relative_to(REPO_DIR)}: {match.group(0).strip()}"
             for path in project_templates() if not PDF_TEMPLATE.search(source(path))
             for match in INLINE_STYLE.finditer(source(path))]
    assert not found, "inline styles (use a class of static/css/app.css):\n" + "\n".join(found)


def test_the_scan_catches_what_it_looks_for():
    assert INLINE_SCRIPT.search('<script>alert(1)</script>') and not INLINE_SCRIPT.search('<script src="/a.js"></script>')
    assert INLINE_HANDLER.search('<select id="x" onchange="this.form.submit()">')
    assert INLINE_HANDLER.search('<form method="post" onsubmit="return confirm(1)">')
    assert INLINE_HANDLER.search('<div hx-on:click="go()">')
    assert not INLINE_HANDLER.search('<select data-autosubmit name="semester">')
    assert JAVASCRIPT_URL.search('<a href="javascript:void(0)">')
    assert INLINE_STYLE.search('<span style="color: red">') and not INLINE_STYLE.search('<span class="x">')
    assert not INLINE_SCRIPT.search(strip_comments("{# no <script> here #}{% comment %}<script>{% endcomment %}"))


# ---- Permissions-Policy and Cache-Control


def test_every_response_has_the_permissions_policy(client, db):
    for response in (client.get("/login/"), client.get("/api/v1/pupils/"), client.get("/no-such-page/"),
                     client.get("/static/css/app.css")):
        policy = response["Permissions-Policy"]
        for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
            assert feature in policy, (response.status_code, policy)


def test_pages_api_answers_and_errors_are_not_stored(client, db):
    for response in (client.get("/login/"), client.get("/api/v1/pupils/"), client.get("/no-such-page/"),
                     client.get("/pupils/?q=110101200001011234")):
        assert "no-store" in response["Cache-Control"], response.status_code


def test_an_api_answer_with_pupils_is_not_stored(api_as, world):
    response = api_as("teacher_a1").get("/api/v1/pupils/", {"search": "张小明"})
    assert response.status_code == 200 and response.json()["results"]
    assert response["Cache-Control"] == "no-store"


def test_static_files_keep_their_caching(client, db):
    response = client.get("/static/js/app.js")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert b"data-autosubmit" in b"".join(response.streaming_content)


def test_a_proof_file_is_downloaded_not_shown(world, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    request = start(world, files=check_uploads([SimpleUploadedFile("户口簿.pdf", PDF)]))
    attachment = request.attachments.get()
    response = login(world.user("officer_a")).get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    assert response["Permissions-Policy"].startswith("accelerometer=()")


def test_a_pupils_photo_is_shown_inline_but_never_cached(world, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    pupil = world.pupils["a1"]
    buffer = io.BytesIO()
    Image.new("RGB", (35, 49), (30, 80, 200)).save(buffer, "JPEG")
    pupil.photo.save("photo.jpg", ContentFile(buffer.getvalue()))
    response = login(world.user("registrar_a1")).get(f"/pupils/{pupil.pk}/photo/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert not response.get("Content-Disposition", "").startswith("attachment")
    assert "no-store" in response["Cache-Control"]


def test_a_response_that_says_no_store_keeps_its_header(rf):
    from django.http import HttpResponse

    from xueji.web.headers import ResponseHeadersMiddleware

    def view(request):
        response = HttpResponse("x")
        response["Cache-Control"] = "private, no-store"
        return response

    def cached(request):
        response = HttpResponse("x")
        response["Cache-Control"] = "private, max-age=600"
        return response

    assert ResponseHeadersMiddleware(view)(rf.get("/"))["Cache-Control"] == "private, no-store"
    assert ResponseHeadersMiddleware(cached)(rf.get("/"))["Cache-Control"] == "no-store"


def test_a_pdf_shown_in_the_browser_is_only_kept_out_of_frames(rf):
    """The browser's PDF viewer needs its own embed and styles (older Chromium applies the page's
    policy to them); a downloaded PDF keeps the whole policy."""
    from types import SimpleNamespace

    from csp.middleware import CSPMiddleware

    from xueji.documents.printing import pdf_response

    printed = SimpleNamespace(content=b"%PDF-1.4", record=SimpleNamespace(code="ABCD1234", display_code="ABCD-1234"))
    shown = CSPMiddleware(lambda request: pdf_response(printed, "学籍卡.pdf"))(rf.get("/"))
    assert shown["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert shown["Content-Disposition"].startswith("inline;") and "no-store" in shown["Cache-Control"]
    saved = CSPMiddleware(lambda request: pdf_response(printed, "学籍卡.pdf", inline=False))(rf.get("/"))
    assert "script-src 'self'" in saved["Content-Security-Policy"]
