"""Request bodies have a cap (issue 12), enforced before anything of the body is read.

- ``RequestSizeMiddleware`` (second in settings.MIDDLEWARE, before the session is even looked
  up) reads the declared ``Content-Length`` and answers 413 when it is over the cap of the
  address: ``REQUEST_BODY_LIMITS`` by URL name (the login page and the token endpoint take a few
  KB, the zip of a school's photos its 200 MB and a margin), ``REQUEST_BODY_LIMIT`` everywhere
  else (the largest upload of the other forms, and a margin). A body without a declared length
  (``Transfer-Encoding: chunked``) is refused with 411: Django would read nothing of it anyway.
- ``AnonymousRequestSizeMiddleware`` (right after AuthenticationMiddleware) gives whoever is not
  signed in the small cap ``REQUEST_BODY_LIMIT_ANONYMOUS`` on every page: CSRF checking reads a
  form before the view asks for a login, so without it anyone could have a big upload parsed
  onto the disk. API calls that bring a token are left to DRF, which checks the token before it
  reads the body.
- ``BodyLimitUploadHandler`` (first in settings.FILE_UPLOAD_HANDLERS) counts what the upload
  parser actually reads and stops at the same cap, whatever the headers said; the answer is
  the same 413.

A refused page gets the 413 page, a refused /api/ call ``{"detail": ..., "code": ...}``.
"""

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpResponse
from django.template import loader
from django.urls import Resolver404, resolve

API_PREFIX = "/api/"
TOO_LARGE = "提交的内容太大（{size}），上限为 {limit}：请压缩或分批上传。"
TOO_LARGE_ANONYMOUS = "未登录时不能提交这么多内容（上限 {limit}）：请先登录，再上传文件。"
LENGTH_REQUIRED = "请求没有注明长度（Content-Length），无法处理。"
# Set on the request by the upload handler when it stops a body: the middleware turns whatever
# answer Django made of the exception into the 413.
REFUSED_ATTRIBUTE = "_xueji_body_refused"


class RequestTooLarge(RequestDataTooBig):
    """The upload handler's stop; a RequestDataTooBig, so that Django answers 400 even where no
    middleware of ours is (the middleware makes it a 413)."""


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} 字节"


def declared_length(request) -> int | None:
    """The Content-Length, or None when the body has none (chunked); 0 without a body."""
    value = request.META.get("CONTENT_LENGTH")
    if value in (None, ""):
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        return None if chunked else 0
    try:
        return max(int(value), 0)
    except ValueError:
        return 0  # as Django reads it: no body


def body_limit(request) -> int:
    """The cap of this request's address (resolved once, kept on the request)."""
    limit = getattr(request, "_xueji_body_limit", None)
    if limit is None:
        limit = settings.REQUEST_BODY_LIMIT
        if settings.REQUEST_BODY_LIMITS:
            try:
                view_name = resolve(request.path_info).view_name
            except Resolver404:
                view_name = None
            limit = settings.REQUEST_BODY_LIMITS.get(view_name, limit)
        request._xueji_body_limit = limit
    return limit


def refusal(request, status: int, message: str) -> HttpResponse:
    if request.path_info.startswith(API_PREFIX):
        code = "length_required" if status == 411 else "request_too_large"
        body = json.dumps({"detail": message, "code": code}, ensure_ascii=False)
        response = HttpResponse(body, status=status, content_type="application/json")
    else:
        # Rendered without the request: no session, user or database is needed (as the 500 page).
        page = loader.get_template("413.html").render({"message": message, "status": status})
        response = HttpResponse(page, status=status)
    # No "Connection: close" here: WSGI leaves hop-by-hop headers to the server (gunicorn's
    # sync workers close the connection after every request anyway).
    return response


class RequestSizeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.smallest = min([settings.REQUEST_BODY_LIMIT, *settings.REQUEST_BODY_LIMITS.values()])

    def __call__(self, request):
        length = declared_length(request)
        if length is None:
            return refusal(request, 411, LENGTH_REQUIRED)
        if length > self.smallest:  # most requests are not even resolved
            limit = body_limit(request)
            if length > limit:
                return refusal(request, 413, TOO_LARGE.format(size=human_size(length), limit=human_size(limit)))
        response = self.get_response(request)
        if getattr(request, REFUSED_ATTRIBUTE, False):
            limit = body_limit(request)
            return refusal(request, 413, TOO_LARGE.format(size=f"超过 {human_size(limit)}", limit=human_size(limit)))
        return response


class AnonymousRequestSizeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.REQUEST_BODY_LIMIT_ANONYMOUS
        if (declared_length(request) or 0) > limit and not request.user.is_authenticated:
            token_call = request.path_info.startswith(API_PREFIX) and "HTTP_AUTHORIZATION" in request.META
            if not token_call:
                return refusal(request, 413, TOO_LARGE_ANONYMOUS.format(limit=human_size(limit)))
        return self.get_response(request)


class BodyLimitUploadHandler(FileUploadHandler):
    """Counts the bytes of every file of a multipart body and stops at the address's cap. It
    passes each chunk on unchanged to the handlers after it (memory, then a temporary file)."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = body_limit(request) if request is not None else settings.REQUEST_BODY_LIMIT
        self.received = 0

    def _refuse(self):
        if self.request is not None:
            setattr(self.request, REFUSED_ATTRIBUTE, True)
        raise RequestTooLarge(f"Request body over its cap of {self.limit} bytes.")

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > self.limit:
            self._refuse()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None
