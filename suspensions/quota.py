"""The cap on suspensions: a school's suspended pupils stay within 3 % of a grade (002: 学生休学要
严格掌握，一般不得超过同年级学生总数的3%), a setting of the bureau (BureauSettings.
suspension_cap_percent). Over the cap, the bureau may still approve, with a reason."""

from xueji.accounts.selectors import bureau_settings_for
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil

# Pupils who count towards a grade's size: on the school's roll, present or suspended.
_ON_ROLL = (PupilStatus.ENROLLED, PupilStatus.SUSPENDED)


def cap_percent(pupil: Pupil) -> int:
    """The cap of the bureau above the pupil's school (3 unless it set another)."""
    return bureau_settings_for(pupil.school).suspension_cap_percent


def grade_suspensions_after(pupil: Pupil) -> tuple[int, int]:
    """(suspended, size) of the pupil's grade at its school once this pupil is suspended too."""
    grade = Pupil.objects.filter(school_id=pupil.school_id, grade=pupil.grade, deleted_at__isnull=True, status__in=_ON_ROLL)
    size = grade.count()
    others = grade.filter(status=PupilStatus.SUSPENDED).exclude(pk=pupil.pk).count()
    return others + 1, max(size, 1)


def over_cap(suspended: int, size: int, percent: int) -> bool:
    # Integers, not a float share: at 3 %, 1 of 33 is over, 1 of 34 and 3 of 100 are not.
    return suspended * 100 > size * percent


def pupil_over_cap(pupil: Pupil) -> tuple[bool, dict]:
    """Whether suspending the pupil puts its grade over its bureau's cap, and the count that says so
    (kept on the request: the bureau sees what was counted and against which cap)."""
    suspended, size = grade_suspensions_after(pupil)
    percent = cap_percent(pupil)
    return over_cap(suspended, size, percent), {"suspended": suspended, "size": size, "cap_percent": percent}
