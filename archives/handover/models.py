"""The hand-over of a pupil's paper file (纸质学籍档案) after a transfer."""

from django.db import models


class ArchiveHandover(models.Model):
    """The sending school hands the pupil's paper file (登记表, 学籍基本信息表, proof of every change)
    to the receiving school within a month of the transfer; tracked until received.
    农安县办法 第二十一条: 转出学校应及时转出学籍档案，并在 1 个月内办结。"""

    pupil = models.ForeignKey("xueji.Pupil", verbose_name="学生", on_delete=models.PROTECT, related_name="handovers")
    from_school = models.ForeignKey("xueji.School", verbose_name="转出学校", on_delete=models.PROTECT, related_name="+")
    to_school = models.ForeignKey("xueji.School", verbose_name="转入学校", on_delete=models.PROTECT, related_name="+")
    change_request = models.OneToOneField(
        "xueji.ChangeRequest", verbose_name="转学申请", on_delete=models.PROTECT, related_name="handover"
    )
    due_date = models.DateField("移交期限")
    sent_at = models.DateTimeField("移交时间", null=True, blank=True)
    sent_by = models.ForeignKey("xueji.User", verbose_name="移交人", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField("接收时间", null=True, blank=True)
    received_by = models.ForeignKey("xueji.User", verbose_name="接收人", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "纸质档案移交"
        verbose_name_plural = "纸质档案移交"
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["received_at", "due_date"], name="handover_open_due")]

    def __str__(self) -> str:
        return f"{self.pupil} 档案：{self.from_school} → {self.to_school}"

    @property
    def state_label(self) -> str:
        if self.received_at:
            return "已接收"
        return "已寄出，待接收" if self.sent_at else "待移交"
