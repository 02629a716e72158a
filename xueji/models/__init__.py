"""The core record. One module per area; everything is importable from ``xueji.models``."""

from xueji.models.accounts import BUREAU_ROLES, ROLE_UNIT_KIND, SCHOOL_ROLES, LoginThrottle, Membership, Role, User
from xueji.models.audit import AuditEntry
from xueji.models.bureau_settings import BureauSettings
from xueji.models.calendar import CalendarDay, CalendarYear
from xueji.models.divisions import Division
from xueji.models.documents import CardJob, PrintedDocument
from xueji.models.pupils import Guardian, ProblemRecord, Pupil, Sanction, StatusChange, StudentNumber
from xueji.models.requests import (
    ApprovalStep,
    Attachment,
    ChangeRequest,
    Notice,
    RequestParty,
    RequestStatus,
    StepStatus,
)
from xueji.models.school_year import SchoolClass, SchoolYear, Semester
from xueji.models.units import BUREAU_KINDS, Bureau, CentralSchool, School, Unit, UnitKind

__all__ = [
    "ApprovalStep",
    "Attachment",
    "AuditEntry",
    "ChangeRequest",
    "Notice",
    "RequestParty",
    "RequestStatus",
    "Sanction",
    "StepStatus",
    "BUREAU_KINDS",
    "BUREAU_ROLES",
    "Bureau",
    "BureauSettings",
    "CalendarDay",
    "CalendarYear",
    "CardJob",
    "CentralSchool",
    "Division",
    "Guardian",
    "LoginThrottle",
    "Membership",
    "PrintedDocument",
    "ProblemRecord",
    "Pupil",
    "ROLE_UNIT_KIND",
    "Role",
    "SCHOOL_ROLES",
    "School",
    "SchoolClass",
    "SchoolYear",
    "Semester",
    "StatusChange",
    "StudentNumber",
    "Unit",
    "UnitKind",
    "User",
]
