"""The file of an approved export request: made once by a worker, kept in private storage,
downloadable by the requester until it expires. Its SHA-256 is recorded and shown."""

from django.db import models

from xueji.files.storage import private_upload_path


class ExportFile(models.Model):
    request = models.OneToOneField(
        "xueji.ChangeRequest", verbose_name="导出申请", on_delete=models.PROTECT, related_name="export_file"
    )
    file = models.FileField("文件", upload_to=private_upload_path)
    filename = models.CharField("文件名", max_length=200)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveBigIntegerField("大小")
    rows = models.PositiveIntegerField("记录数")
    full_values = models.BooleanField("含完整个人信息", default=False)
    made_at = models.DateTimeField("生成时间")
    expires_at = models.DateTimeField("下载截止")
    downloads = models.PositiveIntegerField("下载次数", default=0)

    class Meta:
        verbose_name = "导出文件"
        verbose_name_plural = "导出文件"

    def __str__(self) -> str:
        return self.filename
