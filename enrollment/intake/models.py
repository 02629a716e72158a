"""Models of the intake (新生建籍): the school's uploads, the new pupils (entries) from their first
row until the bureau approves them and their records exist, and visiting pupils (借读).

An entry is not yet a pupil's record: it has no 学籍号 and counts nowhere. It holds the row's
cleaned data (the same rules as every pupil, xueji.pupils.rules) and its identity in columns, for
dedupe and for the admission list. On the bureau's approval each entry becomes a Pupil (or, for
a pupil who already has a record — the junior-middle intake —, continues it) and is linked to it.
"""

from django.db import models
from django.db.models import Q

from xueji.codes import GRADE_CHOICES, Gender, IdType
from xueji.encrypted_fields import (
    BlindIndexedQuerySet,
    BlindIndexedSaveMixin,
    BlindIndexField,
    EncryptedCharField,
    EncryptedJSONField,
)
from xueji.jobs import HeartbeatJob, register_job


class EnrolmentImport(HeartbeatJob):
    """One uploaded file of new pupils. A file with any error writes nothing; the same file
    (same hash) is imported at most once per school. A big file is checked by a worker, which
    owns the row while it runs (``worker``, ``heartbeat_at``: xueji/jobs.py)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "校验中"
        FAILED = "failed", "有错误，未导入"
        DONE = "done", "已导入"

    school = models.ForeignKey("xueji.Unit", verbose_name="学校", on_delete=models.PROTECT, related_name="+")
    intake_year = models.PositiveSmallIntegerField("入学年份")
    grade = models.PositiveSmallIntegerField("年级", choices=GRADE_CHOICES, default=1)
    file_name = models.CharField("文件名", max_length=200)
    file_sha256 = models.CharField("文件摘要", max_length=64)
    # The uploaded bytes, SM4-GCM encrypted (enrollment/intake/retention.py), kept for the import
    # and the annotated error copy, and emptied 30 days after the import finished.
    content = models.BinaryField("文件内容（加密）", editable=False)
    content_deleted_at = models.DateTimeField("文件删除时间", null=True, blank=True, editable=False)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    total_rows = models.PositiveIntegerField("行数", default=0)
    created_count = models.PositiveIntegerField("导入人数", default=0)
    # [{"row": 5, "column": "出生日期", "key": "birth_date", "value": "…", "message": "…"}]
    errors = models.JSONField("错误", default=list, blank=True)
    uploaded_by = models.ForeignKey("xueji.User", verbose_name="上传人", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "新生导入"
        verbose_name_plural = "新生导入"
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            # A re-upload of a file already imported is recognised, even two at the same moment.
            models.UniqueConstraint(
                fields=["school", "file_sha256"], condition=Q(status="done"), name="import_once_per_file"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name}（{self.get_status_display()}）"


# A lost worker's import is queued again by the sweeper; after too many, it fails with this.
def _import_given_up() -> dict:
    from django.utils import timezone

    message = "导入多次因系统中断未能完成，文件未导入。请稍后重新上传；如仍出错请联系县教育局。"
    return {"progress": 100, "finished_at": timezone.now(), "errors": [
        {"row": 0, "key": "__all__", "column": "", "value": "", "message": message, "other_school": ""}]}


register_job(EnrolmentImport, task="enrollment.tasks.run_import", sent_field="uploaded_at", give_up=_import_given_up)


class EntryStatus(models.TextChoices):
    DRAFT = "draft", "待上报"
    SUBMITTED = "submitted", "审批中"
    RETURNED = "returned", "被退回"
    ESTABLISHED = "established", "已建籍"


class EnrolmentEntry(BlindIndexedSaveMixin, models.Model):
    """A new pupil of a school's intake, from the first row to the established record. The ID
    number and the two JSON values (the whole record: addresses, health, guardians' phones and
    ID numbers) are encrypted in their columns (xueji.encrypted_fields); dedupe looks the ID
    number up by its blind index."""

    school = models.ForeignKey("xueji.Unit", verbose_name="学校", on_delete=models.PROTECT, related_name="+")
    intake_year = models.PositiveSmallIntegerField("入学年份")
    grade = models.PositiveSmallIntegerField("年级", choices=GRADE_CHOICES, default=1)
    source = models.ForeignKey(
        EnrolmentImport, verbose_name="导入批次", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    row = models.PositiveIntegerField("文件行号", null=True, blank=True)
    # The cleaned record (codes, ISO dates) and guardians, as xueji.pupils.services.NewPupil takes them.
    data = EncryptedJSONField("学生信息")
    guardians = EncryptedJSONField("监护人")
    # The identity, in columns: dedupe, the admission list and the lists read these.
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    birth_date = models.DateField("出生日期")
    id_type = models.CharField("身份证件类型", max_length=1, choices=IdType.choices)
    id_number = EncryptedCharField("身份证件号", max_length=30, blank=True)
    id_number_index = BlindIndexField(source="id_number", purpose="enrolment_entry.id_number")
    admission = models.ForeignKey(
        "enrollment.AdmissionEntry", verbose_name="录取名单", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    # A child who already has a record (the junior-middle intake; the pre-school pull's match):
    # approval continues that record, same 学籍号, instead of creating one.
    continues = models.ForeignKey(
        "xueji.Pupil", verbose_name="已有学籍", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    school_class = models.ForeignKey(
        "xueji.SchoolClass", verbose_name="班级", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField("状态", max_length=12, choices=EntryStatus.choices, default=EntryStatus.DRAFT)
    batch = models.ForeignKey(
        "xueji.ChangeRequest", verbose_name="上报批次", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    return_reason = models.CharField("退回原因", max_length=300, blank=True)
    pupil = models.OneToOneField(
        "xueji.Pupil", verbose_name="学籍", null=True, blank=True, on_delete=models.PROTECT, related_name="enrolment"
    )
    created_by = models.ForeignKey("xueji.User", verbose_name="录入人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = BlindIndexedQuerySet.as_manager()

    class Meta:
        verbose_name = "新生"
        verbose_name_plural = "新生"
        ordering = ["school_id", "intake_year", "id"]
        constraints = [
            # A child is a new pupil once, in one school, while not yet established (then the
            # pupil's record takes over; the dedupe service checks against records). Two schools
            # importing the same child at the same moment: one of them is refused.
            models.UniqueConstraint(
                fields=["id_type", "id_number_index"], condition=~Q(id_number_index="") & ~Q(status="established"),
                name="entry_open_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["school", "intake_year", "status"], name="entry_school_year"),
            models.Index(fields=["name", "birth_date"], name="entry_identity"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def editable(self) -> bool:
        return self.status in (EntryStatus.DRAFT, EntryStatus.RETURNED)


class VisitingPupil(models.Model):
    """借读: a pupil studying for a time at another school while the home school keeps the real
    record. The host school holds this temporary record (in one of its classes), linked to the
    home record; it ends when the pupil goes back."""

    home_pupil = models.ForeignKey("xueji.Pupil", verbose_name="学籍（原学校）", on_delete=models.PROTECT, related_name="visits")
    host_school = models.ForeignKey("xueji.Unit", verbose_name="借读学校", on_delete=models.PROTECT, related_name="+")
    school_class = models.ForeignKey("xueji.SchoolClass", verbose_name="借读班级", on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField("借读开始日期")
    planned_end = models.DateField("预计结束日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    reason = models.CharField("借读原因", max_length=300)
    created_by = models.ForeignKey("xueji.User", verbose_name="登记人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "借读生"
        verbose_name_plural = "借读生"
        ordering = ["-start_date", "-id"]
        constraints = [
            # A pupil visits one school at a time.
            models.UniqueConstraint(fields=["home_pupil"], condition=Q(ended_on__isnull=True), name="visit_one_open_per_pupil"),
        ]

    def __str__(self) -> str:
        return f"{self.home_pupil.name}（借读）"
