"""The hand-over of a pupil's paper file (纸质学籍档案) after a transfer."""

from django.db import models


class DispatchMethod(models.TextChoices):
    """How the paper file travelled: carried by someone of the school, or sent (with the slip's
    number, to follow it and to prove it was sent)."""

    IN_PERSON = "in_person", "专人送达"
    POST = "post", "邮寄（中国邮政）"
    COURIER = "courier", "快递"


# The methods that leave a tracking number on their slip (required for them).
TRACKED_METHODS = {DispatchMethod.POST, DispatchMethod.COURIER}


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
    method = models.CharField("移交方式", max_length=20, choices=DispatchMethod.choices, blank=True)
    tracking_number = models.CharField("邮寄或快递单号", max_length=40, blank=True)
    carrier = models.CharField("快递公司", max_length=40, blank=True)
    received_at = models.DateTimeField("接收时间", null=True, blank=True)
    received_by = models.ForeignKey("xueji.User", verbose_name="确认人", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Who took the file in their hands at the receiving school (not always who confirms it here).
    receiver_name = models.CharField("接收人", max_length=50, blank=True)
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

    @property
    def dispatch_label(self) -> str:
        """"快递（顺丰速运，单号 SF1234567890）", "专人送达", or "" before it is sent."""
        if not self.method:
            return ""
        label = self.get_method_display()
        slip = "，".join(part for part in (self.carrier, f"单号 {self.tracking_number}" if self.tracking_number else "") if part)
        return f"{label}（{slip}）" if slip else label
