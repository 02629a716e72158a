"""The scoping matrix's cells for the three admins (三员分立, tests/test_scoping_matrix.py):

- ADMIN_ENDPOINTS: the security admin's pages and the audit export, checked for every user of the
  matrix (none of them is a security or audit admin: all refused) and for the admins;
- ADMIN_USERS and admin_matrix_checks: the admins' own matrix — the pages of their area with
  each admin's answers, and every other URL of the site refused (403), whatever it is;
- every_url / outside_the_area: the walk over the site's URL patterns that finds those.

Other counties' admins must not act on accounts outside their subtree: county A's security admin
gets a 404 (audited) for county B's accounts; non-admins get a 403.
"""

import re

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.scoping import page_status

ADMIN_USERS = ["sysadmin", "secadmin", "auditor", "secadmin_a"]
SECURITY_ADMINS = {"secadmin", "secadmin_a"}
AUDITORS = {"auditor"}
# What each security admin sees of the world's accounts: the city's both counties, county A's its own.
SEES_ACCOUNT = {"registrar_a1": {"secadmin", "secadmin_a"}, "registrar_b1": {"secadmin"}}
ADDRESS = "10.9.9.9"  # an address whose failed logins named county B's registrar_b1


def _security(m, target: str, ok=200):
    """A security page about ``target``: ok where seen, 404 for the other county's security admin,
    403 for everyone else, the login page for the anonymous."""
    if m.user is None:
        return "login"
    if m.user not in SECURITY_ADMINS:
        return 403
    return ok if m.user in SEES_ACCOUNT[target] else 404


def _account_url(m, target: str, rest: str = "") -> str:
    return f"/security/accounts/{m.world.user(target).pk}/{rest}"


def check_security_accounts(m):
    m.check("security_accounts", "page", "login" if m.user is None else (200 if m.user in SECURITY_ADMINS else 403),
            page_status(m, "/security/accounts/"))
    if m.user in SECURITY_ADMINS:
        body = m.client.get("/security/accounts/").content.decode()
        for target, seen in SEES_ACCOUNT.items():
            m.check("security_accounts", f"lists {target}", m.user in seen, f'href="{_account_url(m, target)}"' in body)


def check_security_account(m):
    for target in SEES_ACCOUNT:
        m.check("security_account", target, _security(m, target), page_status(m, _account_url(m, target)))


def check_security_action(m):
    for target in SEES_ACCOUNT:
        # The confirmation (a GET changes nothing); the POST only where it must be refused.
        m.check("security_action", f"{target} confirm", _security(m, target), page_status(m, _account_url(m, target, "unseal/")))
        if _security(m, target) != 200:
            m.check("security_action", f"{target} post", _security(m, target),
                    page_status(m, _account_url(m, target, "password-reset/"), "post"))


def check_security_role_grant(m):
    for target in SEES_ACCOUNT:
        # Without "confirm": the confirmation page, nothing granted.
        data = {"unit": m.world.units["a1"].pk, "role": "head_teacher"}
        m.check("security_role_grant", target, _security(m, target), page_status(m, _account_url(m, target, "roles/"), "post", data))


def check_security_role_revoke(m):
    for target in SEES_ACCOUNT:
        membership = m.world.user(target).memberships.first()
        m.check("security_role_revoke", target, _security(m, target),
                page_status(m, _account_url(m, target, f"roles/{membership.pk}/revoke/")))


def check_security_addresses(m):
    m.check("security_addresses", "page", "login" if m.user is None else (200 if m.user in SECURITY_ADMINS else 403),
            page_status(m, "/security/addresses/"))


def _address(m):
    from xueji.accounts.audit import audit_record
    from xueji.accounts.models import AddressThrottle, AuditEntry

    row, created = AddressThrottle.objects.get_or_create(
        address=ADDRESS, defaults={"failures": 20, "locked_until": timezone.now() + timezone.timedelta(minutes=15)},
    )
    if created:
        audit_record(action="login.failed", result=AuditEntry.Result.FAILED, ip=ADDRESS, unit=m.world.units["b1"],
                     username="registrar_b1", user=m.world.user("registrar_b1"))
    return row


def check_security_address_unlock(m):
    row = _address(m)
    expected = _security(m, "registrar_b1")
    m.check("security_address_unlock", "county B's address", expected, page_status(m, f"/security/addresses/{row.pk}/unlock/"))
    if expected != 200:
        m.check("security_address_unlock", "post", expected, page_status(m, f"/security/addresses/{row.pk}/unlock/", "post"))


def check_audit_export(m):
    # To the export request's form (xueji/exports/audit_log.py): the log leaves only when approved.
    expected = "login" if m.user is None else (302 if m.user in AUDITORS else 404)
    m.check("audit_export", "to the export request", expected, page_status(m, "/audit/export/", "post", {"format": "xlsx"}))


ADMIN_ENDPOINTS = {
    "accounts:security_accounts": check_security_accounts,
    "accounts:security_account": check_security_account,
    "accounts:security_action": check_security_action,
    "accounts:security_role_grant": check_security_role_grant,
    "accounts:security_role_revoke": check_security_role_revoke,
    "accounts:security_addresses": check_security_addresses,
    "accounts:security_address_unlock": check_security_address_unlock,
    "accounts:audit_export": check_audit_export,
}


# The admins' own matrix -------------------------------------------------------------------------

def check_admin_site(m):
    m.check("admin-site", "index", 200, m.client.get("/admin/").status_code)
    m.check("admin-site", "no pupil admin", True, m.client.get("/admin/xueji/pupil/").status_code == 404)


def check_nothing_else(m):
    """Every URL of the site outside the admin area: the admin area's 403, page or endpoint."""
    for url in outside_the_area():
        m.check("outside the admin area", url, 403, m.client.get(url).status_code)


def admin_matrix_checks(endpoints: dict) -> list:
    """The checks the admins run: those of the admin area among the matrix's ENDPOINTS, their admin
    site, and the refusal of everything else."""
    area = ["web:home", "web:healthz", "accounts:login", "accounts:logout", "accounts:switch_role", "accounts:password_change",
            "accounts:password_change_done", "accounts:audit_list", "accounts_api:api-token", "api-schema", "api-docs",
            *ADMIN_ENDPOINTS, "exports:export_list", "exports:export_new", "exports:export_detail",
            "exports:export_file"]
    return [endpoints[name] for name in area if name in endpoints] + [check_admin_site, check_nothing_else]


# The walk ---------------------------------------------------------------------------------------

SAMPLES = {"int": "1", "str": "x", "slug": "x", "path": "x", "uuid": "00000000-0000-0000-0000-000000000001"}
AREA_NAMESPACES = {"accounts", "accounts_api", "exports"}
AREA_NAMES = {("web", "home"), ("web", "healthz"), ("", "api-schema"), ("", "api-docs")}


def sample(route: str) -> str | None:
    """A path for a pattern: converters (and the API routers' regular expressions) filled with samples."""
    if route.startswith("^") or "(?P" in route:
        if "format" in route:
            return None  # the routers' .json suffixes: the same views again
        route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route.lstrip("^").rstrip("$")).replace("\\.", ".")
        return None if re.search(r"[()\[\]*+?\\]", route) else route
    return re.sub(r"<(?:(\w+):)?\w+>", lambda match: SAMPLES.get(match.group(1) or "str", "x"), route)


def every_url(resolver=None, prefix="/", namespace=""):
    """(url, namespace, name) of every URL pattern of the site; the admin site (in the area) left out."""
    for pattern in (resolver or get_resolver()).url_patterns:
        filled = sample(str(pattern.pattern))
        if filled is None:
            continue
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            yield from every_url(pattern, prefix + filled, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            yield prefix + filled, namespace, pattern.name or ""


def outside_the_area() -> list[str]:
    return sorted({url for url, namespace, name in every_url()
                   if namespace not in AREA_NAMESPACES and (namespace, name) not in AREA_NAMES
                   and not url.startswith("/admin/")})
