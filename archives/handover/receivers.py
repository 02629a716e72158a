"""The archives app listens to the engine: an approved request that moved a pupil to another
school opens the paper archive's hand-over (services.handover_open_after_approval)."""

from archives.handover.services import handover_open_after_approval
from xueji.approvals.models import ChangeRequest


def open_handover_when_pupil_changed_school(sender, *, request: ChangeRequest, **kwargs) -> None:
    handover_open_after_approval(request)
