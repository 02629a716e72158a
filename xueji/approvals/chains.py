"""Chains of steps: who decides a request, in what order. A kind composes its chain from these
builders (``school_then_bureau`` for a request of one school, ``receiving_then_sending`` for a
move between schools); each step names a unit, and the role that decides there follows from the
unit's kind (DECIDING_ROLE).

农安县办法 and the 2025 办法: a school's headmaster signs first (a rural school's township central
school then approves for it), then the bureau that supervises the school; across counties the
receiving side decides before the sending side, and across provinces the provinces join.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from xueji.accounts.models import Role, Unit, UnitKind

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
    # A step decided by another role than the unit's usual one (an export: the bureau's leader in
    # charge, Role.LEADER), and a time limit of its own (working days; the bureau's setting when None).
    decider: str = ""
    working_days: int | None = None

    @property
    def role(self) -> str:
        return self.decider or DECIDING_ROLE[UnitKind(self.unit.kind)]


def school_steps(school: Unit, label: str) -> list[StepSpec]:
    """The school's headmaster signs; a rural school's township central school then approves
    for it."""
    steps = [StepSpec(school, f"{label}校长审核")]
    if school.parent_id and school.parent.kind == UnitKind.CENTRAL_SCHOOL:
        steps.append(StepSpec(school.parent, f"{label}中心校审核"))
    return steps


def school_then_bureau(school: Unit, *, school_label: str = "", bureau_label: str = "审批") -> list[StepSpec]:
    """A request of one school: its headmaster (and central school), then its bureau
    ("<bureau>审批", or "<bureau>确认" …)."""
    bureau = bureau_of(school)
    return [*school_steps(school, school_label), StepSpec(bureau, f"{bureau.name}{bureau_label}")]


def receiving_then_sending(to_school: Unit, from_school: Unit) -> list[StepSpec]:
    """A move between schools, started by the receiving school. Within one county: receiving
    school → sending school → the county bureau. Across counties: receiving school → its bureau
    (→ its province, across provinces) → sending school → its bureau (→ its province)."""
    to_bureau, from_bureau = bureau_of(to_school), bureau_of(from_school)
    if to_bureau.pk == from_bureau.pk:
        return [
            *school_steps(to_school, "转入学校"),
            *school_steps(from_school, "转出学校"),
            StepSpec(to_bureau, f"{to_bureau.name}审批"),
        ]
    steps = [*school_steps(to_school, "转入学校"), StepSpec(to_bureau, f"转入地{to_bureau.name}审批")]
    to_province, from_province = province_of(to_school), province_of(from_school)
    cross_province = to_province is not None and from_province is not None and to_province.pk != from_province.pk
    if cross_province:
        steps.append(StepSpec(to_province, f"转入地{to_province.name}审批"))
    steps += [*school_steps(from_school, "转出学校"), StepSpec(from_bureau, f"转出地{from_bureau.name}审批")]
    if cross_province:
        steps.append(StepSpec(from_province, f"转出地{from_province.name}审批"))
    return steps


def bureau_of(unit: Unit) -> Unit:
    """The bureau that approves for a school: its county's, or the city's or province's for the
    schools they run directly."""
    bureau = unit.supervising_bureau
    if bureau is None:
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
