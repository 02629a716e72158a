"""What each role sees of a pupil's record: the one masking policy of the pages, the API's
serializers, the printed documents (学籍卡, 花名册, 学生基本信息表, 申请表) and the spreadsheets.

Nothing else decides whether a field of a pupil is shown in full, masked or left out: a page,
a serializer or a document asks ``visibility_for(user, pupil)`` (or ``visibility_for(user, unit)``
for the pupils of one school, or an entry not yet a record) and shows what the answer says.
``sees_full_record`` (the old question, "does the user see this record in full?") is answered
from the same table.

The sensitive fields, in groups:

=============== ==============================================================================
group           fields
=============== ==============================================================================
id_number       the pupil's ID number, and every 学籍号 that is a G number ("G" + the ID number:
                the current one and the former ones); L and J numbers carry no ID number
health          健康状况
disability      残疾类型, 残疾学生就读方式
hukou           户口所在地, 户口性质, 户籍地址, and the guardians' 户口所在地
address         现住址, 通信地址, 家庭地址, 邮政编码, the family members' 现住址
circumstances   留守儿童, 进城务工人员随迁子女, 独生子女, 孤儿, 烈士或优抚子女, 政府购买学位,
                需要申请资助, 享受一补
guardian_id     the guardians' ID numbers (and the pupil's 身份证件有效期, with the ID number: masked)
guardian_phone  the family's phone numbers and e-mail: the guardians' phones, the pupil's 联系电话
                and 电子信箱
=============== ==============================================================================

Everything else of the record (name, gender, birth date, ethnicity, school, class, status, the
guardians' names, relations and workplaces …) is shown to whoever sees the pupil at all: who
that is, is xueji.pupils.scoping's question, not this module's.

The policy (F: in full, M: masked, –: not shown at all):

========================================== == ====== ===== ===== ==== ===== ==== =======
role at the pupil's school (or above it)   id health disab hukou addr circ g_id g_phone
========================================== == ====== ===== ===== ==== ===== ==== =======
registrar, headmaster                      F  F      F     F     F    F     F    F
central-school registrar, county officer   F  F      F     F     F    F     F    F
head teacher                               M  –      –     –     –    –     –    F
city officer, province officer             M  –      –     –     –    –     –    –
no role there (a counterpart school on a   M  –      –     –     –    –     –    –
request's page; the system administrator)
========================================== == ====== ===== ===== ==== ===== ==== =======

Decisions worth knowing:

- Head teachers keep the guardians' phone numbers: they call the parents every week (an
  absence, a meeting, a child taken ill). They see nothing else of the household: not the
  address, the household registration, health, disability, the family's circumstances, nor the
  guardians' ID numbers.
- City and province officers work with statistics (the counts of left-behind children or of
  disabled pupils are in the reports, as counts): they see a record to find it, with its ID
  number masked, and nothing of the household, not even the guardians' phone numbers.
- The ID number is masked, not hidden: "2201**********1234" tells two records apart. The
  other groups are hidden: a masked address or a masked "孤儿：是" would still say it. Where a
  printed form has a fixed box for a hidden field (the 学籍卡), it prints ``MASK`` ("***").
- A user with several roles sees, group by group, the most that one of the roles covering the
  pupil's school gives: a headmaster who also heads a class sees the record in full.
- A field's history on the pupil's page follows its group: the old and new values of a field
  the user does not see in full are "***" (a G number's, masked like the ID number).

How to use it:

- pages: ``visibility_for(user, pupil)`` in the context (``vis``), ``{% if vis.sees.address %}``
  around what is shown only to some, ``{% shown vis "id_number" pupil.id_number %}`` (in
  ``xueji_tags``) for a value in full, masked or left out;
- serializers: ``VisibleFieldsMixin`` (a serializer of pupils) drops the hidden fields (and their
  ``*_label``) from the answer and masks the masked ones, in the guardians and numbers too; or
  ``visibility.pupil_data(data)`` on a dict;
- documents: ``visibility.pupil_value(field, value)``, ``guardian_value(field, value)``,
  ``id_number(...)``, ``student_number(...)`` for each box.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property
from typing import Any

from django.db.models import Q

from xueji.accounts.models import Role, Unit, User
from xueji.accounts.scoping import UNIT_ROLES_SEEING_SUBTREE, memberships_of
from xueji.identity import mask_id_number, mask_student_number

MASK = "***"


class Show(IntEnum):
    """How a group of fields is shown; ordered, so that the most a user sees is ``max``."""

    HIDDEN = 0
    MASKED = 1
    FULL = 2


GROUPS = ("id_number", "health", "disability", "hukou", "address", "circumstances", "guardian_id", "guardian_phone")

# The pupil's fields (as on xueji.pupils.models.Pupil, and as the API names them) → their group.
PUPIL_FIELDS = {
    "id_number": "id_number",
    "student_number": "id_number",
    "health": "health",
    "disability": "disability",
    "disability_placement": "disability",
    "hukou_division": "hukou",
    "hukou_division_id": "hukou",
    "hukou_type": "hukou",
    "hukou_address": "hukou",
    "address": "address",
    "left_behind": "circumstances",
    "migrant_child": "circumstances",
    "only_child": "circumstances",
    "orphan": "circumstances",
    # The national form's contact and extended items (xueji.pupils.national_form).
    "id_validity": "id_number",
    "mailing_address": "address",
    "home_address": "address",
    "postcode": "address",
    "phone": "guardian_phone",
    "email": "guardian_phone",
    "martyr_child": "circumstances",
    "government_place": "circumstances",
    "needs_aid": "circumstances",
    "one_subsidy": "circumstances",
}
# A guardian's fields → their group.
GUARDIAN_FIELDS = {
    "id_number": "guardian_id",
    "phone": "guardian_phone",
    "hukou_division": "hukou",
    "hukou_division_id": "hukou",
    "address": "address",
}
# A student number (学籍号) in any of its places: masked like the ID number it may hold.
NUMBER_FIELDS = {"student_number", "number"}
# What an API answer or a template may add to a field's name and still show the field.
_DERIVED_SUFFIXES = ("_label", "_display", "_name")

F, M, H = Show.FULL, Show.MASKED, Show.HIDDEN
_ALL = dict.fromkeys(GROUPS, F)
_HEAD_TEACHER = {**dict.fromkeys(GROUPS, H), "id_number": M, "guardian_phone": F}
_STATISTICS = {**dict.fromkeys(GROUPS, H), "id_number": M}
# Whoever has no role at the pupil's school (or above it) and still sees something of the pupil
# (a counterpart school on a transfer's page): the least.
OUTSIDE = _STATISTICS

POLICY: dict[str, dict[str, Show]] = {
    Role.REGISTRAR: _ALL,
    Role.HEADMASTER: _ALL,
    Role.CENTRAL_REGISTRAR: _ALL,
    Role.COUNTY_OFFICER: _ALL,
    Role.HEAD_TEACHER: _HEAD_TEACHER,
    Role.CITY_OFFICER: _STATISTICS,
    Role.PROVINCE_OFFICER: _STATISTICS,
}
# The roles that see every group in full (what xueji.accounts.scoping.FULL_RECORD_ROLES said).
FULL_RECORD_ROLES = frozenset(role for role, row in POLICY.items() if all(row[g] == F for g in GROUPS))


class _Hidden:
    """What ``pupil_value`` answers for a field not shown: falsy, and never printed by accident."""

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return ""

    def __repr__(self) -> str:
        return "HIDDEN"


HIDDEN = _Hidden()


def mask_phone(phone: str) -> str:
    """"13912345678" → "139****5678"."""
    phone = phone or ""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def _group_of(key: str, fields: Mapping[str, str]) -> str | None:
    if key in fields:
        return fields[key]
    for suffix in _DERIVED_SUFFIXES:
        if key.endswith(suffix) and key[: -len(suffix)] in fields:
            return fields[key[: -len(suffix)]]
    return None


def _masked(key: str, value: Any) -> Any:
    if value in (None, ""):
        return value
    if key in NUMBER_FIELDS:
        return mask_student_number(str(value))
    if key == "id_number":
        return mask_id_number(str(value))
    if key == "phone":
        return mask_phone(str(value))
    return MASK


@dataclass(frozen=True)
class Visibility:
    """How each group of a pupil's fields is shown to one user (for the pupils of one school)."""

    shows: Mapping[str, Show] = field(default_factory=lambda: dict(OUTSIDE))

    def show(self, group: str) -> Show:
        return self.shows[group]

    @property
    def full_record(self) -> bool:
        """Every group in full."""
        return all(self.shows[group] == Show.FULL for group in GROUPS)

    # For templates: {% if vis.sees.address %}, {% if vis.full.id_number %}.
    @cached_property
    def sees(self) -> dict[str, bool]:
        return {group: show != Show.HIDDEN for group, show in self.shows.items()}

    @cached_property
    def full(self) -> dict[str, bool]:
        return {group: show == Show.FULL for group, show in self.shows.items()}

    @property
    def sees_private(self) -> bool:
        """Whether any group of the household, health and circumstances is shown."""
        return any(self.sees[g] for g in ("health", "disability", "hukou", "address", "circumstances"))

    # One value ---------------------------------------------------------------------------------

    def _value(self, key: str, value: Any, fields: Mapping[str, str]) -> Any:
        group = _group_of(key, fields)
        if group is None:
            return value
        show = self.shows[group]
        if show == Show.FULL:
            return value
        if show == Show.HIDDEN:
            return HIDDEN
        base = next((key[: -len(s)] for s in _DERIVED_SUFFIXES if key.endswith(s) and key[: -len(s)] in fields), key)
        return _masked(base, value)

    def pupil_value(self, key: str, value: Any) -> Any:
        """A field of the pupil as shown: the value, masked, or ``HIDDEN`` (falsy, prints "")."""
        return self._value(key, value, PUPIL_FIELDS)

    def guardian_value(self, key: str, value: Any) -> Any:
        """A field of a guardian as shown: the value, masked, or ``HIDDEN``."""
        return self._value(key, value, GUARDIAN_FIELDS)

    def printed(self, key: str, value: Any, *, guardian: bool = False) -> Any:
        """For a box that is always printed: the value, masked, or ``MASK`` when hidden."""
        shown = self.guardian_value(key, value) if guardian else self.pupil_value(key, value)
        return MASK if shown is HIDDEN else shown

    def id_number(self, number: str) -> str:
        return self.printed("id_number", number or "")

    def student_number(self, number: str) -> str:
        """A 学籍号: a G number holds the ID number and is masked like it."""
        return self.printed("student_number", number or "")

    def history_value(self, key: str, value: Any) -> Any:
        """A value in a field's history: in full, or "***" (a 学籍号 or ID number masked)."""
        group = _group_of(key, PUPIL_FIELDS)
        if group is None or self.shows[group] == Show.FULL:
            return value
        if self.shows[group] == Show.MASKED and key in ("id_number", "student_number"):
            return _masked(key, value)
        return MASK if value not in (None, "") else value

    # Serialized data ---------------------------------------------------------------------------

    def pupil_data(self, data: dict) -> dict:
        """A pupil as a serializer gives it (a dict), as this user may see it: hidden fields left
        out (with their ``*_label``), masked fields masked, the same in ``guardians`` (a list of
        dicts) and ``numbers`` (dicts with a ``number``)."""
        shown = self._filtered(data, PUPIL_FIELDS)
        if isinstance(shown.get("guardians"), list):
            shown["guardians"] = [self._filtered(g, GUARDIAN_FIELDS) if isinstance(g, dict) else g
                                  for g in shown["guardians"]]
        if isinstance(shown.get("numbers"), list):
            shown["numbers"] = [self._filtered(n, {"number": "id_number"}) if isinstance(n, dict) else n
                                for n in shown["numbers"]]
        return shown

    def guardian_data(self, data: dict) -> dict:
        return self._filtered(data, GUARDIAN_FIELDS)

    def _filtered(self, data: Mapping, fields: Mapping[str, str]) -> dict:
        shown = {}
        for key, value in data.items():
            value = self._value(key, value, fields)
            if value is not HIDDEN:
                shown[key] = value
        return shown


SEES_ALL = Visibility(dict(_ALL))
SEES_LEAST = Visibility(dict(OUTSIDE))


def visibility_of_role(role: str) -> Visibility:
    """What one role sees of the pupils of its own unit (a school's or a bureau's)."""
    return Visibility(dict(POLICY.get(role, OUTSIDE)))


def _unit_of(subject) -> Unit | None:
    """The unit whose pupils ``subject`` is about: a unit itself, else its school (a pupil, an
    enrolment or admission entry, anything with a ``school``)."""
    if isinstance(subject, Unit):
        return subject
    return getattr(subject, "school", None)


def visibility_for(user: User, subject) -> Visibility:
    """How ``user`` sees the pupils of ``subject`` (a pupil, or anything with a ``school``, or a
    unit: a school, or a bureau for the pupils under it). Per group the most that one of the
    user's roles at that unit or above it gives; ``SEES_LEAST`` without any.

    It does not say whether the user sees the pupil at all (xueji.pupils.scoping does): call it
    for pupils already loaded through the scoped selectors."""
    if not getattr(user, "is_authenticated", False):
        return SEES_LEAST
    # Per user object and unit, like the memberships it is read from: a list of a school's pupils
    # asks once (and loads no pupil's school for it).
    cache = getattr(user, "_xueji_visibility", None)
    if cache is None:
        cache = user._xueji_visibility = {}
    key = subject.pk if isinstance(subject, Unit) else getattr(subject, "school_id", None)
    if key is not None and key in cache:
        return cache[key]
    unit = _unit_of(subject)
    if unit is None:
        return SEES_LEAST
    key = unit.pk
    if key not in cache:
        shows = dict(OUTSIDE)
        for membership in memberships_of(user):
            row = POLICY.get(membership.role)
            if row is None or membership.unit is None or not _covers(membership, unit):
                continue
            for group in GROUPS:
                shows[group] = max(shows[group], row[group])
        cache[key] = Visibility(shows)
    return cache[key]


def _covers(membership, unit: Unit) -> bool:
    own = membership.unit
    if own.pk == unit.pk:
        return True
    return membership.role in UNIT_ROLES_SEEING_SUBTREE and bool(unit.path) and unit.path.startswith(own.path)


def schools_seeing(user: User, group: str, *, prefix: str = "school__") -> Q | None:
    """Where the user sees ``group`` of the pupils (in full or masked), as a condition on the
    pupils' school (``prefix`` + "path"/"id"); None where nowhere. A list narrowed by a hidden
    field (送教上门 says "disabled") keeps to these schools, so that a filter never tells what the
    record would not show."""
    condition = None
    for membership in memberships_of(user):
        row = POLICY.get(membership.role)
        if row is None or membership.unit is None or row[group] == Show.HIDDEN:
            continue
        unit = membership.unit
        here = Q(**{f"{prefix}id": unit.pk})
        if membership.role in UNIT_ROLES_SEEING_SUBTREE and unit.path:
            here |= Q(**{f"{prefix}path__startswith": unit.path})
        condition = here if condition is None else condition | here
    return condition


def sees_full_record(user: User, subject) -> bool:
    """Whether the user sees every field of the pupil (or of the pupils of a unit) in full."""
    return visibility_for(user, subject).full_record


def numbers_in_full(user: User, subject) -> bool:
    """Whether the user sees the ID numbers (and so the G numbers) of these pupils in full."""
    return visibility_for(user, subject).show("id_number") == Show.FULL


class VisibleFieldsMixin:
    """For a serializer of pupils: its answer as the request's user may see each pupil (hidden
    fields left out, masked ones masked, guardians and numbers too). Needs ``request`` in the
    context."""

    def to_representation(self, pupil):
        data = super().to_representation(pupil)
        return visibility_for(self.context["request"].user, pupil).pupil_data(data)
