"""Pages of accounts: logging in (password, then the second factor), enrolling an authenticator,
changing the password, logging out, choosing the role one acts in, the audit log."""

from urllib.parse import urlencode

import django_otp
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from xueji.accounts.audit import audit_record, client_ip
from xueji.accounts.forms import CodeForm, LoginForm
from xueji.accounts.gate import GATE_PASSED, LOGIN_NEXT, STEP_URLS, password_change_due, pending_step
from xueji.accounts.login import login_attempt, second_factor_attempt
from xueji.accounts.scoping import memberships_of
from xueji.accounts.two_factor import (
    enrolment_confirm,
    enrolment_device,
    enrolment_qr_svg,
    enrolment_secret,
    has_device,
)


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated and request.method == "GET":
        return redirect("web:home")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = ""
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        result = login_attempt(
            request=request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            ip=client_ip(request),
        )
        if result.user is not None:
            login(request, result.user)  # rotates the session key
            if next_url:
                request.session[LOGIN_NEXT] = next_url
            return HttpResponseRedirect(_after_login(request))
        error = result.error
    return render(request, "registration/login.html", {"form": form, "error": error, "next": next_url})


def _after_login(request) -> str:
    """Where a session goes once a step is passed: the next step (xueji/accounts/gate.py), else
    the page the user asked for, else home."""
    step = pending_step(request)
    if step is not None:
        return reverse(STEP_URLS[step])
    request.session[GATE_PASSED] = True
    return request.session.pop(LOGIN_NEXT, "") or reverse("web:home")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def login_otp(request):
    """The second step of logging in: the code from the authenticator app, or a recovery code."""
    user = request.user
    if pending_step(request) != "otp":
        return redirect(_after_login(request))
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        result = second_factor_attempt(user=user, code=form.cleaned_data["code"], ip=client_ip(request))
        if result.user is not None:
            django_otp.login(request, result.device)
            return redirect(_after_login(request))
        if result.locked:
            logout(request)
            messages.error(request, result.error)
            return redirect("accounts:login")
        error = result.error
    return render(request, "accounts/login_otp.html", {"form": form, "error": error})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_enrol(request):
    """Enrolling an authenticator at the first login: scan the QR code, type the code it shows;
    the recovery codes are then shown once."""
    user = request.user
    if has_device(user):
        return redirect("web:home")
    device = enrolment_device(user)
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        codes = enrolment_confirm(user, device, form.cleaned_data["code"])
        if codes is not None:
            device.refresh_from_db()
            django_otp.login(request, device)
            request.session["xueji_recovery_codes"] = codes
            return redirect("accounts:recovery_codes")
        error = "验证码不正确，请输入身份验证器上显示的 6 位数字（每 30 秒更新一次）。"
    context = {"form": form, "error": error, "qr_svg": enrolment_qr_svg(device), "secret": enrolment_secret(device)}
    return render(request, "accounts/otp_enrol.html", context)


@never_cache
@login_required
def recovery_codes(request):
    """The recovery codes, shown once right after enrolment: the session forgets them here."""
    codes = request.session.pop("xueji_recovery_codes", None)
    if not codes:
        return redirect("web:home")
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, saying why when the change is forced."""

    template_name = "registration/password_change.html"

    def get_success_url(self):
        self.request.session[GATE_PASSED] = False
        return reverse("accounts:password_change_done")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        if user.must_change_password:
            context["forced"] = "这是管理员为您设置的初始密码，请先设置您自己的新密码。"
        elif password_change_due(user):
            context["forced"] = "您的密码已超过有效期，请设置新密码后继续使用。"
        return context


def admin_login_redirect(request):
    return redirect(reverse("accounts:login") + "?" + urlencode({"next": request.GET.get("next", "/admin/")}))


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit_record(action="logout")
    logout(request)  # deletes the session row: the session ends on the server
    return redirect("accounts:login")


@login_required
@require_POST
def switch_role(request):
    """Choose which of the user's memberships the pages act in."""
    try:
        chosen = int(request.POST.get("membership", ""))
    except ValueError:
        chosen = None
    if chosen not in {m.pk for m in memberships_of(request.user)}:
        messages.error(request, "无法切换到该身份。")
    else:
        request.session["membership_id"] = chosen
    return redirect("web:home")
