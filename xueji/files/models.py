"""Proof files chosen on a form that was refused (xueji/files/pending.py): kept, checked and
encrypted like every private file, bound to the user and to the form's draft token."""

from django.db import models

from xueji.files.storage import private_upload_path


class PendingUpload(models.Model):
    """A checked proof file waiting for its form to be accepted; deleted when the request is
    started with it, or a day later (pending.pending_sweep)."""

    user = models.ForeignKey("xueji.User", verbose_name="上传人", on_delete=models.CASCADE, related_name="+")
    draft = models.CharField("草稿标识", max_length=32, db_index=True)
    file = models.FileField("文件", upload_to=private_upload_path)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("类型", max_length=40)
    extension = models.CharField("扩展名", max_length=8)
    size = models.PositiveIntegerField("大小")
    created_at = models.DateTimeField("上传时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "待提交的附件"
        verbose_name_plural = "待提交的附件"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name
