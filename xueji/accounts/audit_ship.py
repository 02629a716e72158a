"""A copy of every audit entry off the database host: one JSON line per entry, after the entry's
transaction commits, to the target of settings.AUDIT_SHIP (env XUEJI_AUDIT_SHIP):

    ""                      off
    file:/var/log/xueji/audit.jsonl   a file (WatchedFileHandler: logrotate may move it)
    syslog:loghost:514      a syslog server (UDP), e.g. the county's log collector
    syslog:/dev/log         the host's syslog daemon, which forwards it

Each line carries the entry's chain_seq, prev_hash and entry_hash (read back from the INSERT), so
the copy can be compared with the chain in the database. Entries hold no ID numbers or passwords
(xueji/accounts/audit.py scrubs them before they are stored), and the line holds nothing more.
"""

import json
import logging
import logging.handlers
import threading

from django.conf import settings
from django.db import transaction

from xueji.accounts.models import AuditEntry

_logger = logging.getLogger("xueji.audit.ship")
_logger.propagate = False  # the copy goes to its target only, not to the console log
_logger.setLevel(logging.INFO)
_configured_for: str | None = None
# gunicorn's gthread worker runs requests in threads: two first entries at once must not both set
# the handler up (each line would be shipped twice).
_configure_lock = threading.Lock()


def _handler_for(target: str) -> logging.Handler:
    kind, _, where = target.partition(":")
    if kind == "file" and where:
        return logging.handlers.WatchedFileHandler(where, encoding="utf-8")
    if kind == "syslog" and where:
        if where.startswith("/"):
            address = where
        else:
            host, _, port = where.rpartition(":")
            address = (host or where, int(port) if host else 514)
        handler = logging.handlers.SysLogHandler(address=address, facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV)
        handler.ident = "xueji-audit: "
        return handler
    raise ValueError(f"XUEJI_AUDIT_SHIP: not file:/path, syslog:host:port or syslog:/dev/log: {target!r}")


def _ship_logger() -> logging.Logger | None:
    """The logger for the configured target (set up again when the setting changes, as in tests)."""
    global _configured_for
    target = settings.AUDIT_SHIP
    if target != _configured_for:
        with _configure_lock:
            if target != _configured_for:
                for handler in list(_logger.handlers):
                    _logger.removeHandler(handler)
                    handler.close()
                if target:
                    handler = _handler_for(target)
                    handler.setFormatter(logging.Formatter("%(message)s"))
                    _logger.addHandler(handler)
                _configured_for = target
    return _logger if target else None


def entry_line(entry: AuditEntry) -> str:
    return json.dumps(
        {
            "id": entry.pk, "chain_seq": entry.chain_seq, "at": entry.at.isoformat(),
            "user_id": entry.user_id, "username": entry.username, "role": entry.role, "unit_id": entry.unit_id,
            "unit_path": entry.unit_path, "ip": entry.ip, "action": entry.action, "object_type": entry.object_type,
            "object_id": entry.object_id, "object_repr": entry.object_repr, "result": entry.result,
            "detail": entry.detail, "prev_hash": entry.prev_hash, "entry_hash": entry.entry_hash,
        },
        ensure_ascii=False, separators=(",", ":"),
    )


def ship_after_commit(entries: list[AuditEntry]) -> None:
    """Write the entries' lines once their transaction has committed (nothing for a rollback)."""
    if not settings.AUDIT_SHIP or not entries:
        return

    def ship() -> None:
        logger = _ship_logger()
        if logger is None:
            return
        for entry in entries:
            try:
                logger.info(entry_line(entry))
            except Exception:
                logging.getLogger("xueji.audit").exception("audit entry %s not shipped", entry.pk)

    transaction.on_commit(ship, robust=True)
