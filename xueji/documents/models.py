"""Printed documents and the background jobs that print the heavy ones.

Every document the system prints (a 学籍卡, a 学生基本信息表, a 花名册, an application form, a
劝返复学通知书, …) is written down here when it is printed, under the short verification code
(核验码) its footer carries: whoever holds the paper can look the code up (xueji/documents/printing.py,
the verification page) and see what was printed, by whom, when, about which unit and pupils.
The rows are append-only (a database trigger refuses UPDATE and DELETE, migration 0008).
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models

from xueji.files.storage import private_upload_path
from xueji.jobs import HeartbeatJob, register_job


class PrintedDocument(models.Model):
    """One printed document (or exported spreadsheet), as printed."""

    code = models.CharField("核验码", max_length=8, unique=True)
    kind = models.CharField("文书类型", max_length=40, db_index=True)
    title = models.CharField("标题", max_length=200)
    # References without database constraints, as in the audit log: the record outlives the user,
    # unit, class or request it names, and keeps their names as printed.
    printed_by = models.ForeignKey(
        "xueji.User", verbose_name="打印人", null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    printed_by_name = models.CharField("打印人姓名", max_length=150, blank=True)
    printed_at = models.DateTimeField("打印时间")
    unit = models.ForeignKey(
        "xueji.Unit", verbose_name="所涉单位", null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    unit_name = models.CharField("单位名称", max_length=200, blank=True)
    unit_path = models.CharField(max_length=255, blank=True, db_index=True)
    # What part of the unit the document covers, as printed: "三年级（1）班", "三年级", "全校".
    subject = models.CharField("范围", max_length=200, blank=True)
    school_class = models.ForeignKey(
        "xueji.SchoolClass", verbose_name="班级", null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    change_request = models.ForeignKey(
        "xueji.ChangeRequest", verbose_name="变动申请", null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    # The pupils it holds: their ids (records only; an enrolment entry not yet approved has none)
    # and what the paper says of each, [{"id", "name", "number"}], the number as it was printed.
    pupil_ids = ArrayField(models.BigIntegerField(), verbose_name="学生", default=list, blank=True)
    pupils = models.JSONField("学生摘要", default=list, blank=True)
    pupil_count = models.PositiveIntegerField("学生人数", default=0)
    file_format = models.CharField("格式", max_length=10, default="pdf")
    page_count = models.PositiveIntegerField("页数", null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField("大小（字节）", default=0)

    class Meta:
        verbose_name = "打印记录"
        verbose_name_plural = "打印记录"
        ordering = ["-printed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title}（{self.display_code}）"

    @property
    def display_code(self) -> str:
        """The code as printed: two groups of four, "7KQ4-M2XD"."""
        return f"{self.code[:4]}-{self.code[4:]}"


class DocumentJob(HeartbeatJob):
    """A heavy document (a class's 学籍卡, a roster, a statistics spreadsheet, a batch of forms …)
    printed by a Celery worker with its progress here, out of the web request that asked for it.

    ``kind`` is a key of the registry of document job kinds (xueji/documents/jobs.py; the apps
    register theirs), ``params`` what it is built from: ids and options only, never personal data
    (the row is read by administrators and its parameters shown in logs). The file is kept in
    private storage (encrypted like every private file) and served again, instead of printed
    again, to the same user while ``fingerprint`` (the kind's digest of what it prints) is
    unchanged. The document names the user who asked for it and shows the pupils as that user
    sees them, so a job is reused for the same user only, and its file is served to them only."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField("文书类型", max_length=40)
    params = models.JSONField("参数", default=dict, blank=True)
    title = models.CharField("标题", max_length=200, blank=True)
    requested_by = models.ForeignKey("xueji.User", verbose_name="申请人", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("xueji.Unit", verbose_name="单位", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    fingerprint = models.CharField("数据指纹", max_length=64, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    pupil_count = models.PositiveIntegerField("学生人数", default=0)
    file = models.FileField("文件", upload_to=private_upload_path, blank=True)
    filename = models.CharField("文件名", max_length=200, blank=True)
    document = models.ForeignKey(
        PrintedDocument, verbose_name="打印记录", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    error = models.TextField("错误", blank=True)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "文书生成任务"
        verbose_name_plural = "文书生成任务"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "kind", "fingerprint"], name="documentjob_lookup")]

    def __str__(self) -> str:
        return f"{self.title or self.kind} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


def _document_job_given_up() -> dict:
    from django.utils import timezone

    return {"progress": 100, "finished_at": timezone.now(),
            "error": "生成文件多次因系统中断未能完成。请稍后重试；如仍出错请联系县教育局。"}


# A lost worker's job is queued again by the sweeper (xueji/jobs.py).
register_job(DocumentJob, task="xueji.documents.tasks.run_document_job", give_up=_document_job_given_up)
