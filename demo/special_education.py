"""Demo data of special education, at county A's 农安县实验小学: two pupils with a disability on the
record, so that 降级 and 送教上门 can be tried. 听力残疾 (随班就读) in the third grade, whom
`registrar_a1` may ask to move down a grade (申请降级 on the pupil's page); 智力残疾 taught at home
(送教上门) in the fourth grade, whom the pupil list's filter 残疾学生就读方式 and 统计 show.

Idempotent: nothing is changed once a pupil of the school is taught at home. It runs after the
other loaders and takes pupils that no request has touched, so it moves nobody another demo uses."""

from django.db import transaction

from xueji.accounts.models import User
from xueji.codes import Disability, DisabilityPlacement
from xueji.pupils.models import Pupil, disability_placement_index
from xueji.pupils.services import pupil_update

SCHOOL_CODE = "2122012201"  # 农安县实验小学 (a1)
REGISTRAR = "registrar_a1"
# (grade, disability, placement)
PLAN = [
    (3, Disability.HEARING, DisabilityPlacement.REGULAR_CLASS),
    (4, Disability.INTELLECTUAL, DisabilityPlacement.HOME_TEACHING),
]


def _candidate(grade: int) -> Pupil | None:
    """The last-but-one enrolled pupil of the grade that no request has touched (the dropouts demo
    takes the last ones, the cancellations the first)."""
    pupils = list(
        Pupil.objects.filter(school__code=SCHOOL_CODE, grade=grade, status="enrolled", deleted_at__isnull=True,
                             requests__isnull=True).order_by("-id")[:2]
    )
    return pupils[-1] if pupils else None


def special_pupils() -> list[Pupil]:
    """The demo's special-education pupils (for the closing banner and the tests)."""
    return list(Pupil.objects.filter(school__code=SCHOOL_CODE).exclude(disability_placement="").order_by("grade", "id"))


def load(say) -> None:
    home = disability_placement_index(DisabilityPlacement.HOME_TEACHING)
    if Pupil.objects.filter(school__code=SCHOOL_CODE, disability_placement_index=home).exists():
        return
    registrar = User.objects.get(username=REGISTRAR)
    with transaction.atomic():
        for grade, disability, placement in PLAN:
            pupil = _candidate(grade)
            if pupil is None:
                continue
            pupil_update(actor=registrar, pupil=pupil, changes={"disability": disability, "disability_placement": placement},
                         reason="残疾证核实（演示数据）")
            say(f"  特殊教育：{pupil.name}（{pupil.get_grade_display()}，{placement.label}）\n")
