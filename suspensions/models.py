"""Models of 休学、复学、缓学. The requests themselves are the engine's (xueji.ChangeRequest, the
period in the payload); this app keeps only the evidence that the school was reminded."""

from django.db import models


class SuspensionReminder(models.Model):
    """A reminder to the pupil's school that a suspension is about to end (30 days before) or ends
    today: have the guardian resume or renew. Kept on the pupil's record as evidence (the bureau's
    在籍异常 list shows it); written once per suspension and kind by the sweep."""

    class Kind(models.TextChoices):
        THIRTY_DAYS = "30_days", "期满前 30 天提醒"
        END_DAY = "end_day", "期满当天提醒"

    pupil = models.ForeignKey("xueji.Pupil", verbose_name="学生", on_delete=models.PROTECT, related_name="suspension_reminders")
    # No index of its own: suspension_reminder_once (request, kind) serves lookups by request.
    request = models.ForeignKey("xueji.ChangeRequest", verbose_name="休学申请", on_delete=models.CASCADE,
                                related_name="suspension_reminders", db_index=False)
    kind = models.CharField("提醒", max_length=10, choices=Kind.choices)
    day = models.DateField("提醒日期")
    period_end = models.DateField("休学期满")
    message = models.CharField("内容", max_length=300)
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "休学期满提醒"
        verbose_name_plural = "休学期满提醒"
        ordering = ["pupil_id", "day", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "kind"], name="suspension_reminder_once")]

    def __str__(self) -> str:
        return self.message
