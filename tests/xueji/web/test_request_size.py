"""Issue 12: every request body has a cap, checked from Content-Length before anything of the body
is read (the tests' request bodies raise when read), answered 413 in Chinese: a page for pages,
{"detail": ...} for the API. The login page and the token endpoint, and whoever is not signed in,
take a few KB; a school's zip of photos its 200 MB; everything else the largest proof upload."""

import socket

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver

from tests.xueji.web.live_gunicorn import gunicorn  # noqa: F401  (the fixture)
from xueji.files import proof, spreadsheets
from xueji.photos import images
from xueji.photos import zip as photo_zip
from xueji.web.request_size import (
    REFUSED_ATTRIBUTE,
    BodyLimitUploadHandler,
    RequestSizeMiddleware,
    RequestTooLarge,
    body_limit,
)

MB = 1024 * 1024
MULTIPART = "multipart/form-data; boundary=BoUnDaRy"


class UnreadableBody:
    """A wsgi.input that fails the test if anything reads it."""

    def read(self, *args, **kwargs):
        raise AssertionError("the body was read")

    readline = read


def post(client, path: str, length: int, content_type: str = MULTIPART, **extra):
    """A POST that declares ``length`` bytes and fails if the server reads any of them."""
    return client.generic("POST", path, CONTENT_LENGTH=str(length), CONTENT_TYPE=content_type,
                          **{"wsgi.input": UnreadableBody()}, **extra)


# ---- the caps


def url_names(resolver=None, namespace="") -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(namespace + pattern.name)
    return names


def test_every_capped_address_exists():
    """A renamed URL would silently lose its cap."""
    assert set(settings.REQUEST_BODY_LIMITS) <= url_names()


def test_the_caps_cover_the_uploads_own_limits():
    # The largest form: two fields of proof files (a cancellation, an information change).
    assert settings.REQUEST_BODY_LIMIT > 2 * proof.MAX_FILES * proof.PDF_LIMIT
    assert settings.REQUEST_BODY_LIMIT > spreadsheets.MAX_FILE_BYTES
    assert settings.REQUEST_BODY_LIMIT > images.MAX_PHOTO_BYTES
    for name in ("photos:school_photo_import", "photos_api:api-school-photo-import"):
        assert settings.REQUEST_BODY_LIMITS[name] > photo_zip.MAX_ZIP_BYTES
    # ... with a margin, but not without bound.
    assert settings.REQUEST_BODY_LIMIT <= 2 * proof.MAX_FILES * proof.PDF_LIMIT + 20 * MB
    for name in ("accounts:login", "accounts_api:api-token"):
        assert settings.REQUEST_BODY_LIMITS[name] <= 16 * 1024
    assert settings.REQUEST_BODY_LIMIT_ANONYMOUS <= 16 * 1024


def test_each_address_has_its_cap(rf, world):
    school = world.units["a1"]
    assert body_limit(rf.post(f"/schools/{school.pk}/photos/")) == settings.REQUEST_BODY_LIMITS["photos:school_photo_import"]
    assert body_limit(rf.post(f"/api/v1/schools/{school.pk}/photos/")) > photo_zip.MAX_ZIP_BYTES
    assert body_limit(rf.post("/login/")) <= 16 * 1024
    assert body_limit(rf.post("/api/v1/auth/token/")) <= 16 * 1024
    assert body_limit(rf.post("/requests/1/decide/")) == settings.REQUEST_BODY_LIMIT
    assert body_limit(rf.post("/no-such-address/")) == settings.REQUEST_BODY_LIMIT


# ---- refused before the body is read


def test_a_page_over_the_cap_is_refused_with_a_chinese_page(client, db):
    response = post(client, "/transfers/new/", settings.REQUEST_BODY_LIMIT + 1)
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "提交的内容太大" in body and "上限为 110 MB" in body
    assert "no-store" in response["Cache-Control"] and "camera=()" in response["Permissions-Policy"]


def test_an_api_call_over_the_cap_is_refused_with_json(client, db):
    response = post(client, "/api/v1/transfers/", settings.REQUEST_BODY_LIMIT + 1,
                    HTTP_AUTHORIZATION="Token whatever")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "提交的内容太大" in response.json()["detail"] and response.json()["code"] == "request_too_large"


def test_the_login_page_takes_a_few_kb(client, db):
    response = post(client, "/login/", 9 * 1024, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413 and "提交的内容太大" in response.content.decode()
    # A real login form is far below it.
    assert client.post("/login/", {"username": "nobody", "password": "wrong" * 10}).status_code != 413


def test_the_token_endpoint_takes_a_few_kb(client, db):
    response = post(client, "/api/v1/auth/token/", 9 * 1024, content_type="application/json")
    assert response.status_code == 413 and "detail" in response.json()


def test_a_body_without_a_length_is_refused(client, db):
    response = client.generic("POST", "/transfers/new/", CONTENT_TYPE=MULTIPART, HTTP_TRANSFER_ENCODING="chunked",
                              **{"wsgi.input": UnreadableBody()})
    assert response.status_code == 411 and "Content-Length" in response.content.decode()
    response = client.generic("POST", "/api/v1/transfers/", CONTENT_TYPE=MULTIPART, HTTP_TRANSFER_ENCODING="chunked",
                              **{"wsgi.input": UnreadableBody()})
    assert response.status_code == 411 and response.json()["code"] == "length_required"


def test_whoever_is_not_signed_in_gets_the_small_cap_on_every_page(client, db):
    response = post(client, "/transfers/new/", 64 * 1024)
    assert response.status_code == 413 and "请先登录" in response.content.decode()
    # The API without a token too; with one, DRF checks the token before it reads anything.
    assert post(client, "/api/v1/transfers/", 64 * 1024).status_code == 413
    assert post(client, "/api/v1/transfers/", 64 * 1024, HTTP_AUTHORIZATION="Token nonsense").status_code == 401


def test_a_signed_in_user_may_send_more_but_not_beyond_the_cap(world, login):
    client = login(world.user("registrar_a1"))
    school = world.units["a1"]
    # Under the zip's cap, over everything else's: the body is read (and found not to be a form).
    with pytest.raises(AssertionError, match="the body was read"):
        post(client, f"/schools/{school.pk}/photos/", 150 * MB)
    assert post(client, "/transfers/new/", 150 * MB).status_code == 413
    assert post(client, f"/schools/{school.pk}/photos/", 211 * MB).status_code == 413


# ---- the upload handler: what is read is counted too


def test_the_upload_handler_stops_a_body_longer_than_its_cap(rf):
    request = rf.post("/transfers/new/", {"files": SimpleUploadedFile("a.pdf", b"x" * 5000)})
    request._xueji_body_limit = 1000  # as if Content-Length had said less than what came
    request.upload_handlers = [BodyLimitUploadHandler(request), MemoryFileUploadHandler(request)]
    handler = request.upload_handlers[0]
    handler.handle_raw_input = lambda *args, **kwargs: None  # only the counting is tested here
    with pytest.raises(RequestTooLarge):
        request.FILES  # noqa: B018
    assert getattr(request, REFUSED_ATTRIBUTE) is True


def test_the_upload_handler_passes_what_is_under_its_cap(rf):
    request = rf.post("/transfers/new/", {"files": SimpleUploadedFile("a.pdf", b"x" * 500)})
    request.upload_handlers = [BodyLimitUploadHandler(request), MemoryFileUploadHandler(request)]
    assert request.FILES["files"].read() == b"x" * 500


def test_a_stop_by_the_upload_handler_is_answered_413(rf):
    def view(request):
        setattr(request, REFUSED_ATTRIBUTE, True)  # what the handler does before it raises
        return HttpResponse("Bad Request", status=400)

    page = RequestSizeMiddleware(view)(rf.post("/transfers/new/", {"a": "b"}))
    assert page.status_code == 413 and "提交的内容太大" in page.content.decode()
    api = RequestSizeMiddleware(view)(rf.post("/api/v1/transfers/", {"a": "b"}))
    assert api.status_code == 413 and "detail" in api.content.decode()


def test_the_upload_handler_is_the_first_one():
    assert settings.FILE_UPLOAD_HANDLERS[0] == "xueji.web.request_size.BodyLimitUploadHandler"


# ---- a real gunicorn: the answer comes before the body is sent


def raw_request(server, head: bytes, body: bytes = b"") -> bytes:
    """The whole answer (gunicorn closes the connection after it) to a request of which only
    ``head`` and ``body`` are sent, however long it says it is."""
    answer = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(head + body)
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_gunicorn_answers_413_without_waiting_for_the_body(gunicorn):  # noqa: F811
    answer = raw_request(gunicorn, b"POST /transfers/new/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 500000000\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert "提交的内容太大".encode() in answer
    answer = raw_request(gunicorn, b"POST /api/v1/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413 ") and b"application/json" in answer


def test_gunicorn_refuses_a_chunked_body(gunicorn):  # noqa: F811
    answer = raw_request(gunicorn, b"POST /transfers/new/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                                   b"Content-Type: multipart/form-data; boundary=x\r\n\r\n", b"5\r\nhello\r\n")
    assert answer.startswith(b"HTTP/1.1 411 ")
