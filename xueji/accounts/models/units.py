"""Organisational units: bureaus, township central schools and schools, in one tree.

One table for every unit keeps memberships, approval steps and the audit log pointing at a single
kind of thing. Each unit stores its ``path`` of ids from the root ("/1/4/9/"), so that "everything
under this bureau" is a prefix match on an indexed column, whatever the depth (a school may sit
under a central school, a county bureau, or directly under a city bureau).
"""

from django.contrib.postgres.indexes import OpClass
from django.core.exceptions import ValidationError
from django.db import models

from xueji.codes import GRADES_BY_SCHOOL_TYPE, GRADUATING_GRADE, SchoolType


class UnitKind(models.TextChoices):
    PROVINCE_BUREAU = "province_bureau", "省级教育行政部门"
    CITY_BUREAU = "city_bureau", "市级教育局"
    COUNTY_BUREAU = "county_bureau", "县级教育局"
    CENTRAL_SCHOOL = "central_school", "乡镇中心校"
    SCHOOL = "school", "学校"


BUREAU_KINDS = {UnitKind.PROVINCE_BUREAU, UnitKind.CITY_BUREAU, UnitKind.COUNTY_BUREAU}

# Which kinds of unit may hold which kind as parent.
ALLOWED_PARENT_KINDS = {
    UnitKind.PROVINCE_BUREAU: set(),
    UnitKind.CITY_BUREAU: {UnitKind.PROVINCE_BUREAU},
    UnitKind.COUNTY_BUREAU: {UnitKind.CITY_BUREAU},
    UnitKind.CENTRAL_SCHOOL: {UnitKind.COUNTY_BUREAU},
    UnitKind.SCHOOL: {UnitKind.CENTRAL_SCHOOL, UnitKind.COUNTY_BUREAU, UnitKind.CITY_BUREAU, UnitKind.PROVINCE_BUREAU},
}


class Unit(models.Model):
    kind = models.CharField("类型", max_length=20, choices=UnitKind.choices)
    name = models.CharField("名称", max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name="上级单位", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    division = models.ForeignKey(
        "xueji.Division", verbose_name="行政区划", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    path = models.CharField(max_length=255, editable=False, default="", db_index=True)
    # Schools only.
    code = models.CharField("学校标识码", max_length=20, null=True, blank=True, unique=True)
    school_type = models.CharField("办学类型", max_length=20, choices=SchoolType.choices, blank=True)
    township = models.CharField("所在乡镇（街道）", max_length=60, blank=True)
    is_county_town = models.BooleanField("县城学校", default=False)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["path"]
        indexes = [
            models.Index(OpClass("path", name="varchar_pattern_ops"), name="unit_path_prefix_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="school") | ~models.Q(school_type=""),
                name="unit_school_has_type",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind not in UnitKind.values:
            raise ValidationError({"kind": "请选择单位类型。"})
        allowed = ALLOWED_PARENT_KINDS[UnitKind(self.kind)]
        if self.parent is None and allowed and self.kind != UnitKind.SCHOOL:
            raise ValidationError({"parent": "请选择上级单位。"})
        if self.parent is not None and self.parent.kind not in allowed:
            raise ValidationError({"parent": f"{self.get_kind_display()}不能隶属于{self.parent.get_kind_display()}。"})
        if self.kind == UnitKind.SCHOOL:
            if not self.school_type:
                raise ValidationError({"school_type": "请选择办学类型。"})
            if not self.code:
                raise ValidationError({"code": "请填写学校标识码。"})
            if self.parent is None:
                raise ValidationError({"parent": "学校必须隶属于教育局或中心校。"})

    def save(self, *args, **kwargs) -> None:
        # The path is derived from the parent chain; keep it (and the subtree's) in step.
        super().save(*args, **kwargs)
        new_path = (self.parent.path if self.parent_id else "/") + f"{self.pk}/"
        if new_path != self.path:
            old_path = self.path
            Unit.objects.filter(pk=self.pk).update(path=new_path)
            self.path = new_path
            if old_path:
                for child in Unit.objects.filter(path__startswith=old_path).exclude(pk=self.pk):
                    Unit.objects.filter(pk=child.pk).update(path=new_path + child.path[len(old_path):])

    # Navigation in the tree -------------------------------------------------------------
    @property
    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def ancestors(self) -> list["Unit"]:
        """The units above this one, nearest first."""
        ids = self.ancestor_ids[:-1]
        units = {unit.pk: unit for unit in Unit.objects.filter(pk__in=ids)}
        return [units[pk] for pk in reversed(ids) if pk in units]

    def nearest(self, kind: str) -> "Unit | None":
        """This unit or the nearest unit above it of the given kind."""
        if self.kind == kind:
            return self
        return next((unit for unit in self.ancestors() if unit.kind == kind), None)

    @property
    def county_bureau(self) -> "Unit | None":
        return self.nearest(UnitKind.COUNTY_BUREAU)

    @property
    def supervising_bureau(self) -> "Unit | None":
        """The nearest bureau above (or at) this unit: the county's, or the city's or province's
        for the schools they run directly."""
        if self.kind in BUREAU_KINDS:
            return self
        return next((unit for unit in self.ancestors() if unit.kind in BUREAU_KINDS), None)

    @property
    def is_school(self) -> bool:
        return self.kind == UnitKind.SCHOOL

    @property
    def is_bureau(self) -> bool:
        return self.kind in BUREAU_KINDS

    @property
    def graduating_grade(self) -> int:
        """The grade whose pupils graduate from this school (its last)."""
        return GRADUATING_GRADE.get(self.school_type, 9)

    @property
    def grades(self) -> list[int]:
        return GRADES_BY_SCHOOL_TYPE.get(self.school_type, []) if self.is_school else []


class _KindManager(models.Manager):
    def __init__(self, *kinds: str) -> None:
        super().__init__()
        self.kinds = kinds

    def get_queryset(self):
        return super().get_queryset().filter(kind__in=self.kinds)


class School(Unit):
    """学校: a unit of kind school (a proxy, so foreign keys can say what they point at)."""

    objects = _KindManager(UnitKind.SCHOOL)

    class Meta:
        proxy = True
        verbose_name = "学校"
        verbose_name_plural = "学校"

    def clean(self) -> None:
        self.kind = UnitKind.SCHOOL
        super().clean()

    def save(self, *args, **kwargs) -> None:
        self.kind = UnitKind.SCHOOL
        super().save(*args, **kwargs)


class Bureau(Unit):
    """教育行政部门 at province, city or county level."""

    objects = _KindManager(*BUREAU_KINDS)

    class Meta:
        proxy = True
        verbose_name = "教育行政部门"
        verbose_name_plural = "教育行政部门"


class CentralSchool(Unit):
    """乡镇中心校: groups a township's rural schools and approves for them."""

    objects = _KindManager(UnitKind.CENTRAL_SCHOOL)

    class Meta:
        proxy = True
        verbose_name = "乡镇中心校"
        verbose_name_plural = "乡镇中心校"

    def clean(self) -> None:
        self.kind = UnitKind.CENTRAL_SCHOOL
        super().clean()

    def save(self, *args, **kwargs) -> None:
        self.kind = UnitKind.CENTRAL_SCHOOL
        super().save(*args, **kwargs)
