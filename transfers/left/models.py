"""The sending school's copy of a pupil who left (2025 办法 第十五条): after a transfer, a 转出 or
studying abroad the school still finds the pupil, read-only, as the record stood that day."""

from django.db import models


class LeftPupilCopy(models.Model):
    """One departure of a pupil from a school, written in the transaction that applies it.

    Why a pointer into the history and not a copy of the record: the record's history (pghistory's
    event tables) is append-only and already holds every field of every version, encrypted as the
    record is. The copy names the version that stood when the pupil left (``pupil_event_id``, and
    the guardians' latest snapshot then, ``guardian_event_id``): the page rebuilds exactly that
    version, nothing written later can reach it, and no second copy of ID numbers or addresses is
    kept (nor has to follow a key rotation). Rebuilding "as of the leaving date" from timestamps
    instead would take in the move itself (the new class) made the same day. The few columns
    below are what the list shows and searches, as they stood when the pupil left."""

    pupil = models.ForeignKey("xueji.Pupil", verbose_name="学生", on_delete=models.PROTECT, related_name="+")
    change_request = models.OneToOneField(
        "xueji.ChangeRequest", verbose_name="申请", on_delete=models.PROTECT, related_name="left_copy"
    )
    school = models.ForeignKey("xueji.School", verbose_name="原学校", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("离校方式", max_length=40)
    left_on = models.DateField("离校日期")
    destination = models.CharField("去向", max_length=200, blank=True)
    # The list's columns, as they stood that day (the record may change at the new school).
    name = models.CharField("姓名", max_length=50)
    student_number = models.CharField("学籍号", max_length=19, blank=True)
    grade = models.PositiveSmallIntegerField("年级")
    class_name = models.CharField("班级", max_length=50, blank=True)
    # The history's snapshots that are the record as it stood (see the class's comment).
    pupil_event_id = models.BigIntegerField("学籍记录版本")
    guardian_event_id = models.BigIntegerField("家庭成员记录版本", default=0)
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "已转出学生留存记录"
        verbose_name_plural = "已转出学生留存记录"
        ordering = ["-left_on", "-id"]
        indexes = [models.Index(fields=["school", "left_on"], name="left_copy_school_day")]

    def __str__(self) -> str:
        return f"{self.name}（{self.left_on:%Y-%m-%d}离校）"
