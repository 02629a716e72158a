"""Pages of accounts: logging in and out, choosing the role one acts in, the audit log."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from xueji.accounts.audit import audit_record, client_ip
from xueji.accounts.forms import LoginForm
from xueji.accounts.login import login_attempt
from xueji.accounts.models import AUDIT_ACTIONS
from xueji.accounts.scoping import audit_entries_visible_to, can_read_audit_log, memberships_of
from xueji.paginators import query_without_page

PAGE_SIZE = 50


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
            return HttpResponseRedirect(next_url or reverse("web:home"))
        error = result.error
    return render(request, "registration/login.html", {"form": form, "error": error, "next": next_url})


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


@login_required
def audit_list(request):
    if not can_read_audit_log(request.user):
        raise Http404("您无权查看审计日志。")
    entries = audit_entries_visible_to(request.user)
    action = request.GET.get("action", "").strip()[:40]
    username = request.GET.get("user", "").strip()[:150]
    if action:
        entries = entries.filter(action=action)
    if username:
        entries = entries.filter(username=username)
    page = Paginator(entries.select_related("unit").order_by("-at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page, "action": action, "username": username, "actions": sorted(AUDIT_ACTIONS.items()),
        "query_string": query_without_page(request),
    }
    return render(request, "accounts/audit_list.html", context)
