"""The end of a school year: graduation (毕业), promotion (升级) and the certificates of graduates.

- ``Graduation`` records a school's graduation of its graduating grade (who, when, how many, who
  was listed but not graduated); ``Graduate`` links each graduated pupil to it, one per pupil and
  grade, so that a pupil graduates from primary and junior school once each.
- ``ClassMapping`` is the registrar's plan for promotion: which class of next year each class of
  this year moves into (none: the class of the same number).
- ``PromotionRun`` is one bureau's promotion of a year; ``PromotionSchool`` is one school's part
  of it, written in the same transaction as the school's pupils are moved. It is unique per
  school and year: it is what makes a run idempotent and resumable (a school with a row is done).
- ``CertificateBatch`` is one numbering run of 义务教育证书 by the bureau; ``Certificate`` one
  number for one graduate. A graduate holds at most one certificate per graduation, and a number
  is never deleted, changed or given again (a database trigger refuses it): a lost certificate is
  never reissued, the school issues a 学历证明书 instead (schoolyear/kinds.py).
"""

import pgtrigger
from django.db import models

from xueji.codes import GRADE_CHOICES
from xueji.jobs import HeartbeatJob, register_job


class Graduation(models.Model):
    """毕业: a school's graduating grade graduated by its registrar."""

    school = models.ForeignKey("xueji.Unit", verbose_name="学校", on_delete=models.PROTECT, related_name="+")
    school_year = models.ForeignKey("xueji.SchoolYear", verbose_name="学年", on_delete=models.PROTECT, related_name="+")
    grade = models.PositiveSmallIntegerField("年级", choices=GRADE_CHOICES)
    graduated_on = models.DateField("毕业日期")
    graduated_by = models.ForeignKey("xueji.User", verbose_name="办理人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("办理时间", auto_now_add=True)
    count = models.PositiveIntegerField("毕业人数", default=0)
    # Done after the bureau's graduation deadline (shown to the bureau).
    late = models.BooleanField("逾期办理", default=False)
    # The pupils of the grade who were not graduated, as they were then: [{id, name, status}].
    not_graduated = models.JSONField("未办理毕业的学生", default=list, blank=True)

    class Meta:
        verbose_name = "毕业办理"
        verbose_name_plural = "毕业办理"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["school", "school_year"], name="graduation_school_year")]

    def __str__(self) -> str:
        return f"{self.school} {self.school_year} 毕业"


class Graduate(models.Model):
    """A pupil graduated by a Graduation (the grade copied for the uniqueness rule)."""

    graduation = models.ForeignKey(Graduation, verbose_name="毕业办理", on_delete=models.PROTECT, related_name="graduates")
    pupil = models.ForeignKey("xueji.Pupil", verbose_name="学生", on_delete=models.PROTECT, related_name="+")
    grade = models.PositiveSmallIntegerField("年级", choices=GRADE_CHOICES)

    class Meta:
        verbose_name = "毕业生"
        verbose_name_plural = "毕业生"
        ordering = ["graduation_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pupil", "grade"], name="graduate_once_per_grade",
                                    violation_error_message="该学生已办理过毕业。"),
        ]

    def __str__(self) -> str:
        return str(self.pupil)


class ClassMapping(models.Model):
    """升级对应: the class of next year that the pupils of this year's class move into."""

    from_class = models.OneToOneField(
        "xueji.SchoolClass", verbose_name="今年班级", on_delete=models.CASCADE, related_name="promotion_mapping"
    )
    to_class = models.ForeignKey("xueji.SchoolClass", verbose_name="明年班级", on_delete=models.PROTECT, related_name="+")
    set_by = models.ForeignKey("xueji.User", verbose_name="设置人", on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField("设置时间", auto_now=True)

    class Meta:
        verbose_name = "升级班级对应"
        verbose_name_plural = "升级班级对应"

    def __str__(self) -> str:
        return f"{self.from_class} → {self.to_class}"


class PromotionRun(HeartbeatJob):
    """升级: one bureau's promotion of the pupils of its schools into school year ``year``."""

    class Status(models.TextChoices):
        PENDING = "pending", "待执行"
        RUNNING = "running", "升级中"
        DONE = "done", "已完成"
        FAILED = "failed", "未完成"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "按升级日期自动执行"
        MANUAL = "manual", "手动执行"

    bureau = models.ForeignKey("xueji.Unit", verbose_name="教育行政部门", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("升入学年")  # 2027: from 2026—2027学年 into 2027—2028学年
    trigger = models.CharField("执行方式", max_length=20, choices=Trigger.choices)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        "xueji.User", verbose_name="发起人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField("登记时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    attempts = models.PositiveIntegerField("执行次数", default=0)
    # Totals of the schools' rows, recounted at the end of every attempt.
    schools_total = models.PositiveIntegerField("学校数", default=0)
    schools_done = models.PositiveIntegerField("已完成学校数", default=0)
    promoted = models.PositiveIntegerField("升级人数", default=0)
    # {school id: message} of the schools whose promotion failed in the last attempt.
    errors = models.JSONField("出错的学校", default=dict, blank=True)

    class Meta:
        verbose_name = "升级"
        verbose_name_plural = "升级"
        ordering = ["-year", "bureau_id"]
        constraints = [models.UniqueConstraint(fields=["bureau", "year"], name="promotion_run_once_per_year")]

    def __str__(self) -> str:
        return f"{self.bureau} {self.year - 1}—{self.year}学年升级"

    @property
    def from_year(self) -> int:
        return self.year - 1


# A run whose worker was lost is queued again by the sweeper (xueji/jobs.py); after too many
# losses it is left "未完成" for the daily job (the days after the promotion date) or a bureau to
# resume. A run done may be run again (it changes nothing): a pending, failed or done run is taken.
register_job(
    PromotionRun, task="schoolyear.tasks.promotion_run_task", queued="pending", sent_field="requested_at",
    claimable=("pending", "failed", "done"), resend_queued=False,
)


class PromotionSchool(models.Model):
    """One school's promotion, written in the transaction that moved its pupils: a school with a
    row for a year is done, and a rerun skips it."""

    run = models.ForeignKey(PromotionRun, verbose_name="升级", on_delete=models.PROTECT, related_name="schools")
    school = models.ForeignKey("xueji.Unit", verbose_name="学校", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("升入学年")
    promoted = models.PositiveIntegerField("升级人数", default=0)
    mapped = models.PositiveIntegerField("按对应表升入指定班级", default=0)
    without_class = models.PositiveIntegerField("未分班（只升年级）", default=0)
    classes_created = models.PositiveIntegerField("新建明年班级", default=0)
    # Enrolled pupils of the graduating grade still there (not graduated): not promoted.
    graduating_left = models.PositiveIntegerField("毕业年级未办理毕业的在校生", default=0)
    # Enrolled pupils whose class is of another school year than the one closing: not moved.
    other_year = models.PositiveIntegerField("班级不属于本学年的在校生", default=0)
    by_grade = models.JSONField("各年级升级人数", default=dict, blank=True)  # {"3": 120, …} by the grade left
    done_at = models.DateTimeField("完成时间", auto_now_add=True)

    class Meta:
        verbose_name = "学校升级"
        verbose_name_plural = "学校升级"
        ordering = ["run_id", "school_id"]
        constraints = [models.UniqueConstraint(fields=["school", "year"], name="promotion_school_once_per_year")]

    def __str__(self) -> str:
        return f"{self.school} 升级"


class CertificateBatch(models.Model):
    """One numbering run of 义务教育证书 for a school's graduates of a year: prefix + sequence,
    consecutive, no gaps."""

    bureau = models.ForeignKey("xueji.Unit", verbose_name="教育行政部门", on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey("xueji.Unit", verbose_name="学校", on_delete=models.PROTECT, related_name="+")
    school_year = models.ForeignKey("xueji.SchoolYear", verbose_name="毕业学年", on_delete=models.PROTECT, related_name="+")
    prefix = models.CharField("编号前缀", max_length=20, blank=True)
    width = models.PositiveSmallIntegerField("流水号位数")
    first_sequence = models.PositiveBigIntegerField("起始流水号")
    last_sequence = models.PositiveBigIntegerField("结束流水号")
    count = models.PositiveIntegerField("证书数")
    issued_by = models.ForeignKey("xueji.User", verbose_name="编号人", on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField("编号时间", auto_now_add=True)

    class Meta:
        verbose_name = "证书编号批次"
        verbose_name_plural = "证书编号批次"
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return f"{self.school} {self.first_number}–{self.last_number}"

    def number(self, sequence: int) -> str:
        return f"{self.prefix}{sequence:0{self.width}d}"

    @property
    def first_number(self) -> str:
        return self.number(self.first_sequence)

    @property
    def last_number(self) -> str:
        return self.number(self.last_sequence)


class Certificate(models.Model):
    """义务教育证书: its number, given once to one graduate and never again to anyone."""

    graduate = models.OneToOneField(Graduate, verbose_name="毕业生", on_delete=models.PROTECT, related_name="certificate")
    number = models.CharField("证书编号", max_length=30)
    batch = models.ForeignKey(CertificateBatch, verbose_name="编号批次", on_delete=models.PROTECT, related_name="certificates")

    class Meta:
        verbose_name = "义务教育证书"
        verbose_name_plural = "义务教育证书"
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["number"], name="certificate_number_unique",
                                               violation_error_message="该证书编号已被使用。")]
        # A number once given stays with its graduate: no path of the application deletes or
        # renumbers a certificate (a lost one is never reissued).
        triggers = [
            pgtrigger.Protect(name="certificate_never_deleted", operation=pgtrigger.Delete),
            pgtrigger.Protect(name="certificate_never_changed", operation=pgtrigger.Update),
        ]

    def __str__(self) -> str:
        return self.number
