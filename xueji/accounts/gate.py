"""The gate between a right password and the rest of the system, and the session's lifetime.

After the password, a session is logged in (Django's login(), which rotates the session key), but
until the user has passed every step it reaches only that step's pages:
1. the second factor, for a user who needs one and has a device (xueji/accounts/two_factor.py);
2. a password change, when an admin created or reset the account or the password is older than
   the bureau's limit (90 days by default);
3. enrolling an authenticator, for a user who needs a second factor and has none yet.
Everything else answers with a redirect to the step (pages) or a 403 (the API under the session).
Once passed, the session remembers it; what would undo it (a 2FA reset, a password change by an
admin, disabling) ends the session anyway (xueji/accounts/credentials.py).

Sessions also end after SESSION_ABSOLUTE_HOURS however busy they are (the idle timeout is the
cookie's age, renewed at each request).
"""

import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils import timezone

from xueji.accounts.models import User

LOGIN_AT = "xueji_login_at"
GATE_PASSED = "xueji_gate_passed"
LOGIN_NEXT = "xueji_login_next"

STEP_URLS = {"otp": "accounts:login_otp", "password": "accounts:password_change", "enrol": "accounts:otp_enrol"}
# What each step may reach besides its own page.
STEP_EXTRA = {
    "otp": set(),
    "password": {"accounts:password_change_done"},
    "enrol": set(),
}
# The guardian's progress page is public (xueji/approvals/tracking.py): a half-logged-in session
# reaches it as anyone does.
ALWAYS = {"accounts:logout", "accounts:login", "approvals:track"}
API_MESSAGE = "请先在网页上完成登录验证（动态验证码、修改密码或绑定身份验证器）。"


@receiver(user_logged_in)
def _session_started(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT] = time.time()
        request.session[GATE_PASSED] = False


def password_change_due(user: User) -> bool:
    """An admin created or reset the account, or the password is older than the bureau allows."""
    from xueji.accounts.models import Membership
    from xueji.accounts.selectors import bureau_settings_for

    if user.must_change_password:
        return True
    changed = user.password_changed_at or user.date_joined
    membership = Membership.objects.filter(user=user).select_related("unit").first()
    max_age = bureau_settings_for(membership.unit).password_max_age_days if membership else 90
    return bool(max_age) and changed < timezone.now() - timedelta(days=max_age)


def pending_step(request) -> str | None:
    """The step this session must pass next, or None."""
    from xueji.accounts.two_factor import has_device, needs_second_factor

    user = request.user
    # Right after login() request.user is the object authenticate() gave, which django-otp's
    # middleware has not seen: no device verified yet.
    verified = user.is_verified() if hasattr(user, "is_verified") else False
    if needs_second_factor(user) and not verified:
        if has_device(user):
            return "otp"
        return "password" if password_change_due(user) else "enrol"
    if password_change_due(user):
        return "password"
    return None


def session_expired(request) -> bool:
    started = request.session.get(LOGIN_AT)
    return started is None or time.time() - started > settings.SESSION_ABSOLUTE_HOURS * 3600


class AccountGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        is_api = request.path.startswith("/api/")
        if session_expired(request):
            logout(request)
            if is_api:
                return JsonResponse({"detail": "登录已超时，请重新登录。"}, status=401)
            return redirect(settings.LOGIN_URL)
        if request.session.get(GATE_PASSED):
            return None
        step = pending_step(request)
        if step is None:
            request.session[GATE_PASSED] = True
            return None
        name = request.resolver_match.view_name if request.resolver_match else ""
        if name in ALWAYS or name == STEP_URLS[step] or name in STEP_EXTRA[step]:
            return None
        if is_api:
            return JsonResponse({"detail": API_MESSAGE}, status=403)
        return redirect(STEP_URLS[step])
