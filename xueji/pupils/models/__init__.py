"""The pupil's record and where it sits: school years, semesters and classes; the pupil, the
guardians, the 学籍号 history, the status history, problem records and sanctions."""

from xueji.pupils.models.classes import SchoolClass, SchoolYear, Semester
from xueji.pupils.models.counts import RollCount
from xueji.pupils.models.pupils import (
    Guardian,
    GuardianEvent,
    ProblemRecord,
    Pupil,
    PupilEvent,
    Sanction,
    StatusChange,
    StudentNumber,
    disability_index,
    disability_placement_index,
    id_number_index,
)

__all__ = [
    "SchoolClass", "SchoolYear", "Semester", "Guardian", "GuardianEvent", "ProblemRecord", "Pupil", "PupilEvent", "RollCount",
    "Sanction", "StatusChange", "StudentNumber", "disability_index", "disability_placement_index",
    "id_number_index",
]
