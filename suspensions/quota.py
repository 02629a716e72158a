"""The cap on suspensions: a school's suspended pupils stay within 3 % of a grade (002: 学生休学要
严格掌握，一般不得超过同年级学生总数的3%). Over the cap, the bureau may still approve, with a reason."""

from xueji.codes import PupilStatus
from xueji.models import Pupil

# TODO: this should be a per-bureau setting (BureauSettings), like the transfer windows; the
# suspensions app may not add fields to xueji's models, so it is a constant until then.
SUSPENSION_CAP_PERCENT = 3

# Pupils who count towards a grade's size: on the school's roll, present or suspended.
_ON_ROLL = (PupilStatus.ENROLLED, PupilStatus.SUSPENDED)


def grade_suspensions_after(pupil: Pupil) -> tuple[int, int]:
    """(suspended, size) of the pupil's grade at its school once this pupil is suspended too."""
    grade = Pupil.objects.filter(school_id=pupil.school_id, grade=pupil.grade, deleted_at__isnull=True, status__in=_ON_ROLL)
    size = grade.count()
    others = grade.filter(status=PupilStatus.SUSPENDED).exclude(pk=pupil.pk).count()
    return others + 1, max(size, 1)


def over_cap(suspended: int, size: int) -> bool:
    # Integers, not a float share: 1 of 33 is over 3 %, 1 of 34 and 3 of 100 are not.
    return suspended * 100 > size * SUSPENSION_CAP_PERCENT
