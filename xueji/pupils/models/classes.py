"""School years, semesters and classes."""

from django.core.exceptions import ValidationError
from django.db import models

from xueji.codes import GRADE_CHOICES, GRADE_LABELS


class SchoolYear(models.Model):
    """学年, named by the year it starts in: 2026 is 2026—2027学年."""

    start_year = models.PositiveSmallIntegerField("起始年份", unique=True)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")

    class Meta:
        verbose_name = "学年"
        verbose_name_plural = "学年"
        ordering = ["-start_year"]

    def __str__(self) -> str:
        return f"{self.start_year}—{self.start_year + 1}学年"

    def clean(self) -> None:
        if self.start_date and self.end_date and self.start_date >= self.end_date:
            raise ValidationError("学年的结束日期必须晚于开始日期。")


class Semester(models.Model):
    """学期: the first (autumn) or second (spring) term of a school year."""

    class Term(models.IntegerChoices):
        FIRST = 1, "第一学期"
        SECOND = 2, "第二学期"

    school_year = models.ForeignKey(SchoolYear, verbose_name="学年", on_delete=models.CASCADE, related_name="semesters")
    term = models.PositiveSmallIntegerField("学期", choices=Term.choices)
    start_date = models.DateField("开学日期")
    end_date = models.DateField("结束日期")

    class Meta:
        verbose_name = "学期"
        verbose_name_plural = "学期"
        ordering = ["-start_date"]
        constraints = [models.UniqueConstraint(fields=["school_year", "term"], name="semester_unique_term")]

    def __str__(self) -> str:
        return f"{self.school_year}{self.get_term_display()}"

    def clean(self) -> None:
        if self.start_date and self.end_date and self.start_date >= self.end_date:
            raise ValidationError("学期的结束日期必须晚于开学日期。")


class SchoolClass(models.Model):
    """班级 of one school year. Its cap comes from the bureau's settings (xueji.pupils.selectors)."""

    school = models.ForeignKey("xueji.School", verbose_name="学校", on_delete=models.PROTECT, related_name="classes")
    school_year = models.ForeignKey(SchoolYear, verbose_name="学年", on_delete=models.PROTECT, related_name="classes")
    grade = models.PositiveSmallIntegerField("年级", choices=GRADE_CHOICES)
    number = models.PositiveSmallIntegerField("班号")
    head_teacher = models.ForeignKey(
        "xueji.User", verbose_name="班主任", null=True, blank=True, on_delete=models.SET_NULL, related_name="head_of_classes"
    )

    class Meta:
        verbose_name = "班级"
        verbose_name_plural = "班级"
        ordering = ["school_id", "grade", "number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "school_year", "grade", "number"], name="class_unique_number"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{GRADE_LABELS.get(self.grade, self.grade)}（{self.number}）班"

    def clean(self) -> None:
        if self.school_id and self.grade and self.grade not in self.school.grades:
            raise ValidationError({"grade": f"{self.school.get_school_type_display()}没有{GRADE_LABELS[self.grade]}。"})
