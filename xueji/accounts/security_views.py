"""The security admin's pages (三员分立), for people who are not technical: the accounts of the
bureau's subtree with their state, one account with what can be done to it, the address
lockouts. Every action is a POST (with CSRF) after a confirmation page; the services
(xueji/accounts/security.py) check who may act on whom and audit it. The search is posted and
kept in the session, so that no name ends up in an address or a server log."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from xueji.accounts import security
from xueji.accounts.admin_roles import account_refusal, units_under
from xueji.accounts.models import AddressThrottle, Membership, Role, Unit
from xueji.accounts.scoping import object_id

PAGE_SIZE = 50
SEARCH_KEY = "xueji_security_search"


class SearchForm(forms.Form):
    q = forms.CharField(label="用户名或姓名", max_length=50, required=False)


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, unit: Unit) -> str:
        return f"{unit.name}（{unit.get_kind_display()}）"


class GrantForm(forms.Form):
    unit = UnitChoiceField(label="单位", queryset=Unit.objects.none(), empty_label="请选择单位")
    role = forms.ChoiceField(label="角色", choices=[("", "请选择角色"), *Role.choices])

    def __init__(self, *args, units: list[Unit], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_under(units).order_by("path")

    def clean(self):
        cleaned = super().clean()
        unit, role = cleaned.get("unit"), cleaned.get("role")
        if unit is not None and role:
            try:
                Membership(unit=unit, role=role).clean()
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
        return cleaned


@dataclass(frozen=True)
class Action:
    title: str
    question: str
    explanation: str
    button: str
    danger: bool = False


ACTIONS = {
    "unlock": Action("解除登录锁定", "确定解除该账号的登录锁定吗？",
                     "解除后失败次数清零，该账号可以立即再次登录。", "解除锁定"),
    "unseal": Action("解除封存", "确定解除该账号的封存吗？",
                     "账号因长期未使用被封存。解除后该账号可以再次登录；请先确认使用人仍在岗并需要这个账号。", "解除封存"),
    "otp-reset": Action("重置动态验证码", "确定重置该账号的动态验证码吗？",
                        "身份验证器和恢复码将全部作废，该账号已登录的会话和接口令牌立即失效；"
                        "下次登录时须重新绑定身份验证器。用于手机丢失或更换。", "重置动态验证码", danger=True),
    "password-reset": Action("重置密码", "确定为该账号设置临时密码吗？",
                             "系统将生成一个临时密码，只显示这一次；该账号已登录的会话和接口令牌立即失效，"
                             "使用人用临时密码登录后须立即设置自己的新密码。请当面或电话告知使用人，不要通过聊天工具发送。",
                             "生成临时密码", danger=True),
}


def _account_url(account) -> str:
    return reverse("accounts:security_account", args=[account.pk])


def _memberships_prefetch() -> Prefetch:
    return Prefetch("memberships", queryset=Membership.objects.select_related("unit").order_by("unit__path", "role"))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def security_accounts(request):
    """The accounts of the subtree with their state; search by POST, filter by state."""
    security.require_security_admin(request.user)
    if request.method == "POST":
        form = SearchForm(request.POST)
        if "clear" in request.POST or not form.is_valid() or not form.cleaned_data["q"].strip():
            request.session.pop(SEARCH_KEY, None)
        else:
            request.session[SEARCH_KEY] = form.cleaned_data["q"].strip()
        state = request.POST.get("state", "")
        url = reverse("accounts:security_accounts")
        return redirect(f"{url}?state={state}" if state in security.ACCOUNT_STATES else url)
    query = request.session.get(SEARCH_KEY, "")
    state = request.GET.get("state", "")
    accounts = security.accounts_visible_to(request.user)
    if state in security.ACCOUNT_STATES:
        accounts = accounts.filter(security.ACCOUNT_STATES[state][1])
    else:
        state = ""
    if query:
        accounts = accounts.filter(Q(username__icontains=query) | Q(full_name__icontains=query))
    accounts = accounts.prefetch_related(_memberships_prefetch()).order_by("username")
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page, "query": query, "state": state, "form": SearchForm(initial={"q": query}),
        "states": [(key, label) for key, (label, _q) in security.ACCOUNT_STATES.items()],
        "query_string": f"state={state}" if state else "",
        "units": security.security_units(request.user),
    }
    return render(request, "accounts/security_accounts.html", context)


def _account_context(request, account, *, grant_form=None) -> dict:
    units = security.security_units(request.user)
    memberships = list(Membership.objects.filter(user=account).select_related("unit").order_by("unit__path", "role"))
    refusal = account_refusal(request.user, account, Role.SECURITY_ADMIN)
    from xueji.accounts.two_factor import recovery_codes_left

    return {
        "account": account, "memberships": memberships, "refusal": refusal,
        "actions": ACTIONS, "recovery_codes": recovery_codes_left(account),
        "grant_form": grant_form or GrantForm(units=units),
        "now": timezone.now(),
    }


@never_cache
@login_required
def security_account(request, user_id):
    security.require_security_admin(request.user)
    account = security.get_account_for_security(request.user, user_id)
    return render(request, "accounts/security_account.html", _account_context(request, account))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def security_action(request, user_id, action):
    """GET: the confirmation; POST: the action, then back to the account (the temporary password
    is shown once, on the answer to the POST, and kept nowhere)."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("没有这个操作。")
    security.require_security_admin(request.user)
    account = security.get_account_for_security(request.user, user_id)
    security.require_manageable(request.user, account)
    if request.method == "GET":
        return render(request, "accounts/security_confirm.html", {
            "account": account, "action": spec, "post_url": request.path, "back_url": _account_url(account),
        })
    try:
        if action == "unlock":
            security.account_unlock(actor=request.user, account=account)
        elif action == "unseal":
            security.account_unseal_by(actor=request.user, account=account)
        elif action == "otp-reset":
            security.otp_reset(actor=request.user, account=account)
        else:
            password = security.password_reset(actor=request.user, account=account)
            return render(request, "accounts/security_password.html", {"account": account, "password": password})
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect(_account_url(account))
    messages.success(request, f"已为 {account.username} {spec.title}。")
    return redirect(_account_url(account))


@never_cache
@login_required
@require_POST
def security_role_grant(request, user_id):
    """The grant form posts here: first the confirmation (the choice as hidden fields), then,
    with ``confirm``, the grant."""
    units = security.require_security_admin(request.user)
    account = security.get_account_for_security(request.user, user_id)
    security.require_manageable(request.user, account)
    form = GrantForm(request.POST, units=units)
    if form.is_valid():
        unit, role = form.cleaned_data["unit"], form.cleaned_data["role"]
        if "confirm" not in request.POST:
            return render(request, "accounts/security_grant_confirm.html", {
                "account": account, "unit": unit, "role": role, "role_label": Role(role).label,
                "back_url": _account_url(account),
            })
        try:
            security.role_grant(actor=request.user, account=account, unit=unit, role=role)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"已授予 {account.username}：{unit.name} {Role(role).label}。")
            return redirect(_account_url(account))
    return render(request, "accounts/security_account.html", _account_context(request, account, grant_form=form))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def security_role_revoke(request, user_id, membership_id):
    security.require_security_admin(request.user)
    account = security.get_account_for_security(request.user, user_id)
    membership = get_object_or_404(Membership.objects.select_related("unit", "user"), pk=object_id(membership_id),
                                   user=account)
    security.require_manageable(request.user, account)
    if request.method == "GET":
        action = Action("收回角色", f"确定收回 {account.username} 在 {membership.unit.name} 的“{membership.get_role_display()}”角色吗？",
                        "收回后该账号立即失去这个角色的全部权限。", "收回角色", danger=True)
        return render(request, "accounts/security_confirm.html", {
            "account": account, "action": action, "post_url": request.path, "back_url": _account_url(account),
        })
    try:
        security.role_revoke(actor=request.user, membership=membership)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"已收回 {account.username} 在 {membership.unit.name} 的“{membership.get_role_display()}”角色。")
    return redirect(_account_url(account))


@never_cache
@login_required
def security_addresses(request):
    """Client addresses with failed logins: those paused now, and those counting."""
    security.require_security_admin(request.user)
    now = timezone.now()
    rows = (security.addresses_visible_to(request.user)
            .filter(Q(locked_until__gt=now) | Q(failures__gt=0))
            .order_by("-locked_until", "-last_failure_at"))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/security_addresses.html", {"page": page, "now": now, "query_string": ""})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def security_address_unlock(request, throttle_id):
    security.require_security_admin(request.user)
    throttle: AddressThrottle = security.get_address_for_security(request.user, throttle_id)
    back = reverse("accounts:security_addresses")
    if request.method == "GET":
        action = Action("解除地址的登录暂停", f"确定解除地址 {throttle.address} 的登录暂停吗？",
                        "该地址的失败次数清零，从这台电脑（或这个出口地址）可以立即再次登录。"
                        "如果失败次数异常多，可能是有人在猜测密码，请先了解情况。", "解除暂停")
        return render(request, "accounts/security_confirm.html", {
            "action": action, "post_url": request.path, "back_url": back,
        })
    security.address_unlock_by(actor=request.user, throttle=throttle)
    messages.success(request, f"已解除地址 {throttle.address} 的登录暂停。")
    return redirect(back)
