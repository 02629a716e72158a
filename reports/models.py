"""The monthly change report (学籍变动月报) as it was generated: one row per unit, month and version.

A report is made once for a unit and a month (by the scheduler on the 1st for the month before, or
by a bureau asking for one) and kept as it was: its figures are JSON, frozen when it was made, so
that what was reported stays what was reported. A bureau that regenerates a month (records
backdated after the report, a correction) gets a new version; the old ones stay.
"""

from django.db import models


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
