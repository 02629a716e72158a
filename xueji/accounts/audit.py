"""Writing the audit log. Every login, view of a pupil's record, export, print, write, decision and
permission change calls ``audit_record``.

Who acted comes from the request (the middleware below records it for the duration of the request)
or is passed explicitly (tasks, management commands). The text never carries ID numbers or
passwords: ``scrub`` masks anything that looks like one before it is stored. A database trigger
chains each entry to the one before by hash (xueji/accounts/audit_chain.py); after the transaction
commits, a copy of each entry goes off the host (xueji/accounts/audit_ship.py).
"""

import contextvars
import ipaddress
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import models

from xueji.accounts.audit_ship import ship_after_commit
from xueji.accounts.models import AuditEntry, Membership, Unit, User
from xueji.identity import mask_id_number


@dataclass(frozen=True)
class Actor:
    user: User | None
    membership: Membership | None
    ip: str | None


# The request being served. Read when an entry is written, not when the request starts: the API
# authenticates its token inside the view, after the middleware has run.
_current_request: contextvars.ContextVar = contextvars.ContextVar("xueji_audit_request", default=None)

# 15- or 18-character ID numbers, passports and the like inside free text; a 学籍号 too (a G number
# is "G" + the ID number; L and J numbers are as long).
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])([A-Za-z]?\d{17}[\dXx]|\d{15}|[A-Za-z]?\d{8,16})(?![0-9A-Za-z])")
_SECRET = re.compile(r"(?i)(password|passwd|密码|token)\s*[:=：]\s*\S+")


def scrub(text: str) -> str:
    """Mask ID-like numbers and drop anything that looks like a password or token."""
    text = _SECRET.sub(lambda m: f"{m.group(1)}=***", text or "")
    return _ID_LIKE.sub(lambda m: mask_id_number(m.group(1)), text)


def set_current_request(request) -> contextvars.Token:
    return _current_request.set(request)


def reset_current_request(token: contextvars.Token) -> None:
    _current_request.reset(token)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, unless the request came through one of the deployment's
    own proxies (settings.TRUSTED_PROXIES), which name the client in X-Forwarded-For. The header
    is read from the right, skipping the trusted proxies: what a client wrote into it itself is
    on the left and never believed."""
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = set(settings.TRUSTED_PROXIES)
    if remote is None or remote not in trusted:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop in trusted:
            continue
        try:
            return str(ipaddress.ip_address(hop))
        except ValueError:
            return remote
    return remote


def current_actor() -> Actor | None:
    """Who is acting in the request being served, if any."""
    from xueji.accounts.scoping import current_membership

    request = _current_request.get()
    if request is None:
        return None
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor(None, None, client_ip(request))
    return Actor(user, current_membership(request), client_ip(request))


def audit_record(*, action: str, obj: models.Model | None = None, **details) -> AuditEntry:
    """Append one entry. ``details`` are the keyword arguments of ``_entry`` (result, detail,
    user, membership, unit, ip, username, and object_type/object_id for an object that is not
    loaded, such as one refused); explicit ones win over the request's actor."""
    entry = _entry(action=action, obj=obj, **details)
    entry.save()  # the chain trigger's values come back with it (RETURNING)
    ship_after_commit([entry])
    return entry


def audit_record_many(*, action: str, objs: list[models.Model], user: User | None = None, detail: str = "") -> None:
    """One entry per object, written in one statement (for batches such as an import)."""
    entries = AuditEntry.objects.bulk_create([_entry(action=action, obj=obj, user=user, detail=detail) for obj in objs])
    ship_after_commit(entries)


def _entry(
    *,
    action: str,
    obj: models.Model | None,
    result: str = AuditEntry.Result.OK,
    detail: str = "",
    user: User | None = None,
    membership: Membership | None = None,
    unit: Unit | None = None,
    ip: str | None = None,
    username: str = "",
    object_type: str = "",
    object_id: str = "",
) -> AuditEntry:
    """An unsaved entry: who acted (explicit, else the request's actor), on what, with what result."""
    actor = current_actor()
    if actor is not None:
        user = user or actor.user
        membership = membership or actor.membership
        ip = ip or actor.ip
    if user is not None and not getattr(user, "pk", None):
        user = None  # AnonymousUser
    if membership is not None and membership.user_id != getattr(user, "pk", None):
        membership = None
    unit = unit or (membership.unit if membership is not None else None) or _unit_of(obj)
    return AuditEntry(
        user=user,
        username=scrub(user.username if user else username)[:150],
        role=membership.role if membership is not None else "",
        unit=unit,
        unit_path=unit.path if unit is not None else "",
        ip=ip,
        action=action,
        object_type=obj._meta.model_name if obj is not None else object_type[:40],
        object_id=str(obj.pk) if obj is not None else scrub(str(object_id))[:40],
        object_repr=scrub(str(obj))[:200] if obj is not None else "",
        result=result,
        detail=scrub(detail),
    )


def account_unit(user: User | None) -> Unit | None:
    """The unit an account belongs to (its first membership's): what an admin does to the account
    is filed there, so that the auditor of that unit (and of every bureau above) reads it."""
    if user is None or not getattr(user, "pk", None):
        return None
    membership = Membership.objects.filter(user_id=user.pk).select_related("unit").order_by("id").first()
    return membership.unit if membership is not None else None


def _unit_of(obj: models.Model | None) -> Unit | None:
    """The unit an object belongs to, so that the bureau above it can read the entry."""
    if obj is None:
        return None
    if isinstance(obj, Unit):
        return obj
    for attribute in ("school", "unit"):
        unit = getattr(obj, attribute, None)
        if isinstance(unit, Unit):
            return unit
    return None
