"""Writing the sending school's copy of a pupil who leaves (transfers/left/models.py)."""

from django.utils import timezone

from transfers.left.models import LeftPupilCopy
from xueji.approvals.models import ChangeRequest
from xueji.pupils.models import Pupil
from xueji.pupils.selectors import last_history_events


def left_copy_keep(request: ChangeRequest, *, destination: str) -> LeftPupilCopy:
    """Called by a leaving kind's ``apply`` before it moves the pupil, in the approval's
    transaction (so the copy and the move are written together or not at all). The pupil's row is
    locked first: an edit racing the approval is either in the copy or after it, never lost
    between. Idempotent: one copy per request."""
    pupil = Pupil.objects.select_for_update().get(pk=request.pupil_id)
    pupil_event, guardian_event = last_history_events(pupil)
    copy, _ = LeftPupilCopy.objects.get_or_create(
        change_request=request,
        defaults={
            "pupil": pupil, "school_id": pupil.school_id, "kind": request.kind, "left_on": timezone.localdate(),
            "destination": destination[:200], "name": pupil.name, "student_number": pupil.student_number,
            "grade": pupil.grade, "class_name": str(pupil.school_class or ""),
            "pupil_event_id": pupil_event or 0, "guardian_event_id": guardian_event,
        },
    )
    return copy
