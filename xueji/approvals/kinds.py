"""Kinds of change request: one declaration per kind says which chain of steps it takes (which
may depend on the request: same county or not, same province or not), what must hold when a
step decides, what the last approval does to the record, and what follows after.

Apps declare their kinds and register them from their AppConfig.ready(); the engine
(xueji/approvals/services.py) knows nothing of them beyond this interface.
"""

from dataclasses import dataclass
from typing import Any

from xueji.accounts.models import Role, Unit, UnitKind, User
from xueji.approvals.models import ApprovalStep, ChangeRequest

# The role that decides for each kind of unit.
DECIDING_ROLE = {
    UnitKind.SCHOOL: Role.HEADMASTER,
    UnitKind.CENTRAL_SCHOOL: Role.CENTRAL_REGISTRAR,
    UnitKind.COUNTY_BUREAU: Role.COUNTY_OFFICER,
    UnitKind.CITY_BUREAU: Role.CITY_OFFICER,
    UnitKind.PROVINCE_BUREAU: Role.PROVINCE_OFFICER,
}


@dataclass(frozen=True)
class StepSpec:
    """A step of a chain: the unit whose people decide, and what the step is called."""

    unit: Unit
    label: str

    @property
    def role(self) -> str:
        return DECIDING_ROLE[UnitKind(self.unit.kind)]


class RequestKind:
    """The declaration of one kind of request. Subclasses set ``code`` and ``label`` and
    override what they need."""

    code: str = ""
    label: str = ""
    # Whether the person who started a request may decide one of its steps. Never, except where
    # a unit asks for something it then confirms itself (a bureau's reversal of its own approval).
    starter_may_decide: bool = False

    def chain(self, request: ChangeRequest) -> list[StepSpec]:
        """The ordered steps for this request (it is saved, its payload filled)."""
        raise NotImplementedError

    def involved_units(self, request: ChangeRequest) -> list[Unit]:
        """Units whose people see the request besides the starting unit, the pupil's school and
        the deciding units (e.g. a transfer's target school)."""
        return []

    def check_decision(
        self, request: ChangeRequest, step: ApprovalStep, actor: User, approve: bool, details: dict[str, Any]
    ) -> None:
        """Raise ValidationError when this decision may not be taken as given; may record what
        the decision grants in ``request.payload`` (the engine saves it)."""

    def apply(self, request: ChangeRequest, actor: User) -> None:
        """The effect of the last approval, in the same transaction."""

    def closed_without_effect(self, request: ChangeRequest) -> None:
        """The request was rejected or withdrawn (same transaction): release what it held."""

    def follow_up(self, request: ChangeRequest) -> None:
        """Work after an approval has committed (notices, tasks). Must be idempotent: the deadline
        sweep runs it again for any approved request it has not finished."""

    def summary(self, request: ChangeRequest) -> str:
        """One line for inboxes and lists."""
        return ""

    def prepare_summaries(self, requests: list[ChangeRequest]) -> None:
        """Load at once what summary() reads for these requests (all of this kind), so that a
        page of 50 costs one query rather than 50 (see prepare_summaries below)."""

    def details(self, request: ChangeRequest) -> list[tuple[str, str]]:
        """(label, value) rows that the request's page shows."""
        return []

    def details_for(self, request: ChangeRequest, user: User) -> list[tuple[str, str]]:
        """The rows as ``user`` may see them (a kind that shows ID numbers masks them for those
        who see records masked); by default the same for everyone."""
        return self.details(request)

    def decision_fields(self, request: ChangeRequest, step: ApprovalStep) -> list[tuple[str, str]]:
        """Extra text fields (name, label) the decision form asks for at this step."""
        return []

    def resubmit_url(self, request: ChangeRequest) -> str | None:
        """Where the starting school corrects and resubmits a rejected request."""
        return None

    def links_for(self, request: ChangeRequest, user: User) -> list[tuple[str, str]]:
        """Further actions (label, url) of this kind the user may take on the request's page."""
        return []


_KINDS: dict[str, RequestKind] = {}


def register_kind(kind: RequestKind) -> RequestKind:
    _KINDS[kind.code] = kind
    return kind


def get_kind(code: str) -> RequestKind:
    return _KINDS[code]


def kind_label(code: str) -> str:
    kind = _KINDS.get(code)
    return kind.label if kind else code


def prepare_summaries(requests) -> None:
    """Before the summaries of a page of requests are shown: each kind loads what its summaries
    read in one go."""
    by_kind: dict[str, list[ChangeRequest]] = {}
    for request in requests:
        by_kind.setdefault(request.kind, []).append(request)
    for code, group in by_kind.items():
        if code in _KINDS:
            _KINDS[code].prepare_summaries(group)


def kind_choices() -> list[tuple[str, str]]:
    return sorted(((code, kind.label) for code, kind in _KINDS.items()), key=lambda item: item[1])


# Building chains ------------------------------------------------------------------------------

def school_steps(school: Unit, label: str) -> list[StepSpec]:
    """The school's headmaster signs; a rural school's township central school then approves
    for it."""
    steps = [StepSpec(school, f"{label}校长审核")]
    if school.parent_id and school.parent.kind == UnitKind.CENTRAL_SCHOOL:
        steps.append(StepSpec(school.parent, f"{label}中心校审核"))
    return steps


def bureau_of(unit: Unit) -> Unit:
    """The bureau that approves for a school: its county's, or the city's or province's for the
    schools they run directly."""
    bureau = unit.supervising_bureau
    if bureau is None:
        from django.core.exceptions import ValidationError

        raise ValidationError(f"{unit.name}没有上级教育行政部门，无法审批。")
    return bureau


def province_of(unit: Unit) -> Unit | None:
    return unit.nearest(UnitKind.PROVINCE_BUREAU)


def next_level_up(unit: Unit) -> Unit | None:
    """Who is told when a unit lets a step run over: the county for a school or central school,
    the city for a county, the province for a city."""
    if unit.kind in (UnitKind.SCHOOL, UnitKind.CENTRAL_SCHOOL):
        return unit.supervising_bureau
    parent = unit.parent
    return parent if parent is not None and parent.is_bureau else None
