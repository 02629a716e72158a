"""Units, people and what they may do: divisions, the tree of units, users and memberships, the
bureaus' settings, the login lockout counter and the audit log."""

from xueji.accounts.models.audit import AUDIT_ACTIONS, AuditChainCheck, AuditEntry
from xueji.accounts.models.bureau_settings import BureauSettings
from xueji.accounts.models.divisions import Division
from xueji.accounts.models.early_warnings import EarlyWarning
from xueji.accounts.models.units import BUREAU_KINDS, Bureau, CentralSchool, School, Unit, UnitKind
from xueji.accounts.models.users import (
    ADMIN_ROLES,
    BUREAU_ROLES,
    ROLE_UNIT_KINDS,
    SCHOOL_ROLES,
    AddressThrottle,
    LoginThrottle,
    Membership,
    PasswordHistory,
    Role,
    User,
)

__all__ = [
    "AUDIT_ACTIONS", "AuditChainCheck", "AuditEntry", "BureauSettings", "Division", "EarlyWarning", "BUREAU_KINDS", "Bureau", "CentralSchool", "School",
    "Unit", "UnitKind", "ADMIN_ROLES", "BUREAU_ROLES", "ROLE_UNIT_KINDS", "SCHOOL_ROLES", "AddressThrottle", "LoginThrottle",
    "Membership", "PasswordHistory", "Role", "User",
]
