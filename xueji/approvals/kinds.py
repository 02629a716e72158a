"""Kinds of change request: one declaration per kind says which chain of steps it takes
(composed from xueji/approvals/chains.py), what must hold when a step decides (pure checks that
return refusals), what a decision grants (recorded by the engine), what the last approval does to
the record, and what follows after.

Apps declare their kinds and register them from their AppConfig.ready(); the engine
(xueji/approvals/services.py) knows nothing of them beyond this interface. Everything around a
kind that is the same for every kind — one open request per pupil, who decides, withdrawing,
resubmitting a rejected request, the pages and the API — is the engine's.
"""

from typing import Any

from django.core.exceptions import ValidationError

from xueji.accounts.models import Unit, User
from xueji.approvals.chains import StepSpec
from xueji.approvals.models import ApprovalStep, ChangeRequest

# What check_decision returns: nothing (the decision may be taken), or the refusals, keyed by the
# decision form's field where there is one ("__all__" otherwise).
Refusals = dict[str, ValidationError | str] | None


class RequestKind:
    """The declaration of one kind of request. Subclasses set ``code`` and ``label`` and
    override what they need."""

    code: str = ""
    label: str = ""
    # Whether the person who started a request may decide one of its steps. Never, except where
    # a unit asks for something it then confirms itself (a bureau's reversal of its own approval).
    starter_may_decide: bool = False
    # A template included in the decision form for the fields this kind asks for besides its
    # decision_fields (the enrolment batch: a reason per pupil); its context is decision_context().
    decision_template: str = ""

    # The chain and who sees the request ------------------------------------------------------

    def chain(self, request: ChangeRequest) -> list[StepSpec]:
        """The ordered steps for this request (it is saved, its payload filled)."""
        raise NotImplementedError

    def involved_units(self, request: ChangeRequest) -> list[Unit]:
        """Units whose people see the request besides the starting unit, the pupil's school and
        the deciding units (e.g. a transfer's target school)."""
        return []

    # Deciding ---------------------------------------------------------------------------------

    def check_decision(
        self, request: ChangeRequest, step: ApprovalStep, actor: User, approve: bool, details: dict[str, Any]
    ) -> Refusals:
        """Why this decision may not be taken as given (field → refusal), or None. Pure: it reads,
        it never changes the request."""
        return None

    def decision_record(
        self, request: ChangeRequest, step: ApprovalStep, actor: User, approve: bool, details: dict[str, Any]
    ) -> dict[str, Any]:
        """What this decision grants or says, as keys of the request's payload (a bureau's
        exception with its reason, the pupils returned with theirs). Pure: the engine records it
        once check_decision has passed."""
        return {}

    def decision_fields(self, request: ChangeRequest, step: ApprovalStep) -> list[tuple[str, str]]:
        """Extra text fields (name, label) the decision form asks for at this step."""
        return []

    def decision_context(self, request: ChangeRequest, step: ApprovalStep | None, posted: dict) -> dict:
        """The context of decision_template (what was typed comes back in ``posted``)."""
        return {}

    def decision_details(self, posted: dict[str, str]) -> dict[str, Any]:
        """The details check_decision and decision_record read, from the decision form's fields."""
        return dict(posted)

    def decision_message(self, request: ChangeRequest, approve: bool) -> str:
        """What the decider is told after deciding."""
        return "已同意。" if approve else "已退回。"

    # Effect and follow-up ---------------------------------------------------------------------

    def apply(self, request: ChangeRequest, actor: User) -> None:
        """The effect of the last approval, in the same transaction."""

    def closed_without_effect(self, request: ChangeRequest) -> None:
        """The request was rejected or withdrawn (same transaction): release what it held."""

    def follow_up(self, request: ChangeRequest) -> None:
        """Work after an approval has committed (notices, tasks). Must be idempotent: the deadline
        sweep runs it again for any approved request it has not finished."""

    # How it shows -----------------------------------------------------------------------------

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

    def resubmit_url(self, request: ChangeRequest) -> str | None:
        """The page where the starting school corrects and resubmits a rejected request (it
        takes ``?resubmit=<id>``: see xueji/approvals/kind_views.py)."""
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
