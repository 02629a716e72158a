"""``/track/<code>/``: the guardian's page of a request's progress, reached by the QR code of its
printed 申请表, with no account (the rules are in xueji/approvals/tracking.py).

GET shows the question (or, within the session's grant, the progress); POST checks the answer
(CSRF-protected like every form). With ``Accept: application/json`` the same URL answers JSON:
401 ``{"detail", "code": "answer_required", "question"}`` until the answer is given (POSTed as
``answer``, form-encoded or JSON, with the CSRF cookie and header) or granted to the session;
then ``{"progress": …}``. 404 for an unknown code, 403 where the bureau turned the view off, 429
past the lockout. Every view, wrong answer and refusal is audited.
"""

import json

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from django.views.decorators.http import require_http_methods
from redis.exceptions import RedisError

from xueji.accounts.audit import audit_record, client_ip
from xueji.accounts.models import AuditEntry
from xueji.approvals import tracking

TEMPLATE = "approvals/track.html"


def wants_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def _answer(request) -> str:
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return ""
        return str(body.get("answer", "")) if isinstance(body, dict) else ""
    return request.POST.get("answer", "")


def _refuse(request, status: int, message: str, code: str, context: dict | None = None):
    if wants_json(request):
        response = JsonResponse({"detail": message, "code": code, **(context or {})}, status=status)
    else:
        response = render(request, TEMPLATE, {"message": message, "refusal": code, **(context or {})}, status=status)
    return response


@require_http_methods(["GET", "POST"])
@csrf_protect
@ensure_csrf_cookie
def track(request, code: str):
    ip = client_ip(request)
    try:
        if tracking.address_locked(ip):
            # Guessing codes counts like guessing answers: an address that did too much of either
            # is stopped before any lookup.
            audit_record(action="track.locked", result=AuditEntry.Result.DENIED, ip=ip, object_type="track",
                         detail="家长查询：本地址错误次数过多，暂停查询")
            return _refuse(request, 429, tracking.LOCKED_MESSAGE % {"minutes": settings.TRACK_LOCKOUT_MINUTES}, "locked")
        change = tracking.request_for_code(code)
        if change is None:
            tracking.count_failure(None, ip)
    except (RedisError, OSError):
        return _refuse(request, 503, tracking.UNAVAILABLE_MESSAGE, "unavailable")
    if change is None:
        # A code that names no request: a probe or a mistyped code, recorded as a refused lookup.
        audit_record(action="lookup.denied", result=AuditEntry.Result.DENIED, ip=ip, object_type="track",
                     detail="家长查询：查询码不存在")
        return _refuse(request, 404, tracking.NOT_FOUND_MESSAGE, "not_found")
    if not tracking.tracking_enabled(change):
        audit_record(action="track.disabled", obj=change, result=AuditEntry.Result.DENIED, ip=ip,
                     unit=change.pupil.school, detail="家长查询：本地未开放")
        return _refuse(request, 403, tracking.DISABLED_MESSAGE, "tracking_off")

    error = ""
    if request.method == "POST":
        try:
            attempt = tracking.answer_attempt(change, _answer(request), ip)
        except tracking.Unavailable:
            return _refuse(request, 503, tracking.UNAVAILABLE_MESSAGE, "unavailable")
        if attempt.ok:
            request.session.cycle_key()  # a session key planted before the answer is not the one granted
            tracking.session_grant(request.session, change)
        elif attempt.locked:
            return _refuse(request, 429, attempt.message, "locked", {"question": tracking.question(change)})
        else:
            error = attempt.message
    if not tracking.session_allows(request.session, change):
        question = tracking.question(change)
        if not error:
            audit_record(action="track.open", obj=change, ip=ip, unit=change.pupil.school,
                         detail="家长查询：打开查询页，尚未核对")
        if wants_json(request):
            return JsonResponse({"detail": error or question, "code": "wrong_answer" if error else "answer_required",
                                 "question": question}, status=400 if error else 401)
        return render(request, TEMPLATE, {
            "question": question, "error": error, "birth_date": tracking.asks_for_birth_date(change),
        })

    shown = tracking.progress(change)
    audit_record(action="track.view", obj=change, ip=ip, unit=change.pupil.school, detail="家长查询办理进度")
    if wants_json(request):
        return JsonResponse({"progress": shown.as_json()})
    return render(request, TEMPLATE, {"progress": shown, "minutes": settings.TRACK_SESSION_MINUTES})
