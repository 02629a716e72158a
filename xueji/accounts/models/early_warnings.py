"""预警 (early warning): unusual volume of one user's reads or exports, found in the audit log."""

from django.db import models


class EarlyWarning(models.Model):
    """One user's unusual day (or week, for exports), computed nightly from the audit log by
    xueji/accounts/early_warning.py. Shown to the audit and security admins of the bureaus whose
    subtree holds ``unit_path``. Recomputing a day updates its count: one row per (user, kind, day)."""

    class Kind(models.TextChoices):
        READS = "reads", "一天内查看学籍次数过多"
        EXPORTS = "exports", "一周内导出次数过多"
        NIGHT = "night", "夜间查看学籍"

    # References without database constraints, as the audit log's: a warning outlives what it names.
    user = models.ForeignKey(
        "xueji.User", verbose_name="用户", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    username = models.CharField("用户名", max_length=150)
    unit = models.ForeignKey(
        "xueji.Unit", verbose_name="单位", null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    unit_path = models.CharField(max_length=255, blank=True, db_index=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    # The day (reads, night) or the Monday of the week (exports), local time.
    day = models.DateField("日期")
    count = models.PositiveIntegerField("次数")
    threshold = models.PositiveIntegerField("阈值", default=0)
    # {"pupil.view": 480, "pupil.search": 21}: what was counted, by audit action.
    details = models.JSONField("明细", default=dict, blank=True)
    computed_at = models.DateTimeField("计算时间", auto_now=True)

    class Meta:
        verbose_name = "预警"
        verbose_name_plural = "预警"
        ordering = ["-day", "-count", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "day"], name="early_warning_once")]

    def __str__(self) -> str:
        return f"{self.day} {self.username} {self.get_kind_display()} {self.count}"
