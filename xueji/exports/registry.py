"""The kinds of export: what an app lets leave the system, declared once and registered from its
AppConfig.ready() (the core imports no app). An export kind says who may ask for it, which scopes
it offers, its fields (and which of them are ID numbers, phones or addresses, masked unless the
approver granted full values), and how its file is written. The engine's side — the request, the
leader's decision, the worker that makes the file, the download with a fresh code — is one request
kind for all of them (xueji/exports/kind.py).
"""

from dataclasses import dataclass, field
from typing import Any

from xueji.accounts.models import Membership, Unit, User
from xueji.exports.masking import mask

# Why data leaves (the request names one, with a free text): the uses the 2025 办法 and the
# county's practice know.
PURPOSES = [
    ("national_upload", "上报国家学籍系统"),
    ("statistics", "统计上报"),
    ("inspection", "督导检查"),
    ("school_work", "学校日常管理（花名册、点名）"),
    ("audit", "审计检查"),
    ("archive", "档案留存"),
    ("other", "其他"),
]
PURPOSE_LABELS = dict(PURPOSES)


@dataclass(frozen=True)
class ExportField:
    """A column of an export. ``personal`` is the kind of mask of what is masked by default
    (xueji.exports.masking.mask: "id", "number" (a 学籍号), "phone", "email", "address", "postcode",
    "validity"); names are kept."""

    key: str
    label: str
    personal: str = ""


@dataclass(frozen=True)
class ExportScope:
    """What an export covers: its unit (a school, a county …) and how it is named."""

    value: str
    unit: Unit
    label: str


@dataclass
class ExportJob:
    """What the file's writer works from, after approval, in the worker."""

    request_id: int
    requester: User
    membership: Membership
    scope: ExportScope
    fields: list[str]
    full_values: bool
    watermark: list[tuple[str, str]] = field(default_factory=list)

    def value(self, export_field: ExportField, value: Any) -> str:
        """A cell as this export writes it: masked unless full values were granted."""
        text = "" if value is None else str(value)
        if export_field.personal and not self.full_values:
            return mask(export_field.personal, text)
        return text

    @property
    def watermark_text(self) -> str:
        return "；".join(f"{label}：{value}" for label, value in self.watermark)


@dataclass(frozen=True)
class ExportOutput:
    content: bytes
    rows: int
    extension: str = "xlsx"


class ExportKind:
    """An export of personal data. Subclasses set code, label, roles and override the rest."""

    code: str = ""
    label: str = ""
    roles: frozenset[str] = frozenset()  # who may ask (as their acting role)

    def fields(self) -> list[ExportField]:
        raise NotImplementedError

    def scope_choices(self, user: User, membership: Membership) -> list[tuple[str, str]]:
        """(value, label) of the scopes this user may ask for; the first is the default."""
        return [("", membership.unit.name)]

    def scope_resolve(self, user: User, membership: Membership, value: str) -> ExportScope:
        """The scope named by ``value``; NotInScope (404) for one outside the user's area."""
        return ExportScope("", membership.unit, membership.unit.name)

    def write(self, job: ExportJob) -> ExportOutput:
        """The file (the watermark is added by the core for xlsx; a PDF prints job.watermark_text
        in its footer)."""
        raise NotImplementedError

    def field_labels(self, keys: list[str]) -> list[str]:
        by_key = {f.key: f.label for f in self.fields()}
        return [by_key.get(key, key) for key in keys]


_EXPORT_KINDS: dict[str, ExportKind] = {}


def register_export_kind(kind: ExportKind) -> ExportKind:
    _EXPORT_KINDS[kind.code] = kind
    return kind


def get_export_kind(code: str) -> ExportKind:
    return _EXPORT_KINDS[code]


def export_kind_or_none(code: str) -> ExportKind | None:
    return _EXPORT_KINDS.get(code)


def export_kinds_for(roles: set[str]) -> list[ExportKind]:
    return [kind for kind in _EXPORT_KINDS.values() if kind.roles & roles]


def export_kind_label(code: str) -> str:
    kind = _EXPORT_KINDS.get(code)
    return kind.label if kind else code
