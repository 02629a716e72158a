"""The three admins' area (三员分立): a system, security or audit admin — and the break-glass
superuser — reaches the admin site, the accounts' pages (logging in, the password, the
authenticator, the security and audit pages), the home page and the API's documentation, and
nothing else: no pupil's record, request, document, report or app page, whatever scopes those
pages apply. Pages answer with the 403 page (``AdminAreaMiddleware``), the API with a 403 in its
JSON (``NotForAdmins``, a default permission of every endpoint), both audited.

One rule at the door rather than a check in every page: a page added later is closed to the
admins until it is added here.
"""

from rest_framework.permissions import BasePermission

# Nothing of the models at import: DRF reads NotForAdmins from the settings when its views module
# is first imported, which may be while the apps are still loading.

MESSAGE = "系统管理员、安全管理员和审计管理员不查看学生信息和业务数据，这个页面不对管理员开放。"
CODE = "admin_area"
# URL namespaces and names an admin reaches (xueji/urls.py): the admin site is mounted at /admin/.
# The export requests' pages too (not their API: an admin's token reaches no endpoint): the audit
# admin asks for the audit log's export there; each export kind says which roles may ask.
AREA_NAMESPACES = {"admin", "accounts", "accounts_api", "exports"}
# The health check tells nothing of anyone: answered to every session, an admin's included.
AREA_NAMES = {"web:home", "web:healthz", "api-schema", "api-docs"}
AREA_PATHS = ("/admin/",)


def is_admin_account(user) -> bool:
    """An admin of the three, or the superuser: confined to the admin area."""
    from xueji.accounts.admin_roles import admin_roles_of

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or admin_roles_of(user))


def in_admin_area(request) -> bool:
    if request.path.startswith(AREA_PATHS):
        return True
    match = request.resolver_match
    if match is None:
        return True  # no page here: the 404 answers
    if match.namespaces and match.namespaces[0] in AREA_NAMESPACES:
        return True
    return match.view_name in AREA_NAMES


class AdminAreaMiddleware:
    """After the login gate: a session that has passed it reaches only the admin area if its user
    is an admin."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not is_admin_account(getattr(request, "user", None)) or in_admin_area(request):
            return None
        from django.shortcuts import render

        from xueji.accounts.permissions import NotAllowed, audit_refusal

        refusal = NotAllowed(MESSAGE, code=CODE)
        audit_refusal(refusal, request)
        if request.path.startswith("/api/"):
            from django.http import JsonResponse

            return JsonResponse({"detail": MESSAGE, "code": CODE}, status=403)
        return render(request, "403.html", {"reason": MESSAGE}, status=403)


class NotForAdmins(BasePermission):
    """The API's side (a token is read inside the view, after the middleware): an admin's token
    reaches no endpoint but logging out. Raises NotAllowed, which the API's handler answers with
    a 403 and audits."""

    def has_permission(self, request, view) -> bool:
        from xueji.accounts.permissions import NotAllowed

        if is_admin_account(request.user):
            raise NotAllowed(MESSAGE, code=CODE)
        return True
