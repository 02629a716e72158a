"""The monthly change report (学籍变动月报) as it was generated: one row per unit, month and version.

A report is made once for a unit and a month (by the scheduler on the 1st for the month before, or
by a bureau asking for one) and kept as it was: its figures are JSON, frozen when it was made, so
that what was reported stays what was reported. A bureau that regenerates a month (records
backdated after the report, a correction) gets a new version; the old ones stay.
"""

from django.db import models

from xueji.jobs import HeartbeatJob, register_job


class MonthlyReport(models.Model):
    """学籍变动月报 of one unit (a school, a township central school or a county bureau) for one month."""

    # No index of its own: monthly_report_unique_version (unit, month, version) serves lookups by unit.
    unit = models.ForeignKey("xueji.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="+", db_index=False)
    month = models.DateField("月份", help_text="该月的第一天")
    version = models.PositiveSmallIntegerField("版本", default=1)
    figures = models.JSONField("报表数据")
    generated_at = models.DateTimeField("生成时间", auto_now_add=True)
    # Empty when the scheduler made it.
    generated_by = models.ForeignKey(
        "xueji.User", verbose_name="生成人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField("重新生成的原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "学籍变动月报"
        verbose_name_plural = "学籍变动月报"
        ordering = ["-month", "unit__path", "-version"]
        constraints = [
            # Stored once per unit, month and version: two schedulers (or a scheduler and a
            # bureau) generating the same month at once cannot both write version 1.
            models.UniqueConstraint(fields=["unit", "month", "version"], name="monthly_report_unique_version"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="monthly_report_first_of_month"),
        ]
        indexes = [models.Index(fields=["month", "unit"], name="monthly_report_month_unit")]

    def __str__(self) -> str:
        return f"{self.unit} {self.month:%Y年%m月}学籍变动月报（第{self.version}版）"

    @property
    def month_label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"

    @property
    def check_ok(self) -> bool:
        return bool(self.figures.get("check", {}).get("ok"))


class MonthlyReportRun(HeartbeatJob):
    """The scheduler's generation of one month's reports as a long job: queued on the 1st, run by
    a worker that owns it and beats (xueji/jobs.py), so that a worker lost on the night of the 1st
    is replaced within minutes instead of hours. The reports themselves are written in one
    transaction: a lost run wrote none of them."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    month = models.DateField("月份", unique=True, help_text="该月的第一天")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    written = models.PositiveIntegerField("生成的月报数", default=0)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "月报生成任务"
        verbose_name_plural = "月报生成任务"
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y年%m月}学籍变动月报生成（{self.get_status_display()}）"


# A failed run is taken again by the task's retry; a lost one is queued again by the sweeper.
register_job(MonthlyReportRun, task="reports.tasks.run_monthly_reports", claimable=("queued", "failed"))
