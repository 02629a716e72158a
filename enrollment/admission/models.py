"""The bureau's admission list (录取名单): which children each school admits, and what the
pre-school pull (学前调档) found of each."""

from django.db import models
from django.db.models import Q

from xueji.codes import GRADE_CHOICES, Gender, IdType
from xueji.encrypted_fields import BlindIndexedQuerySet, BlindIndexedSaveMixin, BlindIndexField, EncryptedCharField


class PullResult(models.TextChoices):
    MATCHED = "matched", "已匹配"
    TO_CONFIRM = "to_confirm", "待确认"
    NOT_FOUND = "not_found", "未找到"


class AdmissionEntry(BlindIndexedSaveMixin, models.Model):
    """One child of a school's admission list (录取名单), imported by the bureau. A school
    registers only children on its list. The ID number is encrypted in its column
    (xueji.encrypted_fields) and looked up by its blind index."""

    school = models.ForeignKey("xueji.Unit", verbose_name="学校", on_delete=models.PROTECT, related_name="+")
    intake_year = models.PositiveSmallIntegerField("入学年份")
    grade = models.PositiveSmallIntegerField("年级", choices=GRADE_CHOICES, default=1)
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    birth_date = models.DateField("出生日期")
    id_type = models.CharField("身份证件类型", max_length=1, choices=IdType.choices)
    id_number = EncryptedCharField("身份证件号", max_length=30, blank=True)
    id_number_index = BlindIndexField(source="id_number", purpose="admission_entry.id_number")
    # The school marks the child as arrived (报到); registered = an entry matches this row.
    arrived_on = models.DateField("报到日期", null=True, blank=True)
    imported_by = models.ForeignKey("xueji.User", verbose_name="导入人", on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)
    # 学前调档: the child's five fields matched against existing records. A matched child keeps
    # the record (and 学籍号) it has, and those five fields are the record's.
    pull_result = models.CharField("调档结果", max_length=12, choices=PullResult.choices, blank=True)
    pulled_pupil = models.ForeignKey(
        "xueji.Pupil", verbose_name="匹配的学籍", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pull_note = models.CharField("调档说明", max_length=200, blank=True)

    objects = BlindIndexedQuerySet.as_manager()

    class Meta:
        verbose_name = "录取名单"
        verbose_name_plural = "录取名单"
        ordering = ["school_id", "id"]
        constraints = [
            # One child is admitted to one school a year.
            models.UniqueConstraint(
                fields=["intake_year", "id_type", "id_number_index"], condition=~Q(id_number_index=""),
                name="admission_unique_id",
            ),
        ]
        indexes = [models.Index(fields=["school", "intake_year"], name="admission_school_year")]

    def __str__(self) -> str:
        return f"{self.name}（{self.intake_year}年录取）"
