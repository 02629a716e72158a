"""The Django admin's site for the three admins (三员分立): only a verified (second factor)
system, security or audit admin, or the break-glass superuser, gets in, and each ModelAdmin says
which of the three admins sees it (xueji/accounts/admin.py)."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class XuejiAdminSite(admin.AdminSite):
    site_header = "学籍管理系统 · 系统管理"
    site_title = "学籍系统管理"
    index_title = "系统管理"

    def has_permission(self, request) -> bool:
        from xueji.accounts.models import ADMIN_ROLES
        from xueji.accounts.permissions import holds_anywhere

        user = request.user
        if not (user.is_active and user.is_authenticated):
            return False
        verified = getattr(user, "is_verified", lambda: False)()
        return verified and (user.is_superuser or holds_anywhere(user, ADMIN_ROLES))


class XuejiAdminConfig(AdminConfig):
    default_site = "xueji.accounts.admin_site.XuejiAdminSite"
