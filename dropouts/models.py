"""Models of 辍学与劝返: the head teacher's absence log, the dropout case a registrar confirms,
and every step of the return procedure (劝返) until the pupil returns or turns 16.

The pupil's record itself is never cancelled for dropout (学籍管理办法: 视为辍学，不得注销其学籍);
its status goes to 辍学 and back to 在籍在校 on return, through xueji's services."""

from django.db import models
from django.db.models import Q

from xueji.files.storage import private_upload_path


class Absence(models.Model):
    """One school day a pupil was away. Only unexplained days count towards dropout."""

    pupil = models.ForeignKey("xueji.Pupil", verbose_name="学生", on_delete=models.PROTECT, related_name="absences")
    day = models.DateField("缺课日期")
    explained = models.BooleanField("已说明原因", default=False, help_text="病假、事假等有正当理由的缺课。")
    note = models.CharField("说明", max_length=200, blank=True)
    recorded_by = models.ForeignKey("xueji.User", verbose_name="记录人", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "缺课记录"
        verbose_name_plural = "缺课记录"
        ordering = ["pupil_id", "-day"]
        # One row per pupil and day (recording it again corrects it); the unique index also
        # serves "this pupil's recent absences".
        constraints = [models.UniqueConstraint(fields=["pupil", "day"], name="absence_one_per_day")]

    def __str__(self) -> str:
        return f"{self.pupil} {self.day:%Y-%m-%d}"


class DropoutCase(models.Model):
    """辍学 of one pupil and its 劝返 procedure, from the registrar's confirmation to the return
    (复学) or the pupil's 16th birthday."""

    class Ground(models.TextChoices):
        ABSENCE = "absence", "无故旷课连续10个教学日"
        ABROAD = "abroad", "出境未向学校申请"
        OTHER = "other", "其他"

    class Status(models.TextChoices):
        OPEN = "open", "劝返中"
        RETURNED = "returned", "已复学"
        AGED_OUT = "aged_out", "已满16周岁结案"

    pupil = models.ForeignKey("xueji.Pupil", verbose_name="学生", on_delete=models.PROTECT, related_name="dropout_cases")
    school = models.ForeignKey("xueji.School", verbose_name="学校", on_delete=models.PROTECT, related_name="+")
    ground = models.CharField("辍学情形", max_length=10, choices=Ground.choices, default=Ground.ABSENCE)
    ground_note = models.CharField("情形说明", max_length=200, blank=True)
    # 出境未申请 (Ground.ABROAD): where and when the pupil went, as far as the school knows; the
    # regulation asks the same of a pupil who leaves with an application (出国时间、国别).
    country = models.CharField("前往国家（地区）", max_length=3, blank=True, help_text="GB/T 2659 三位字母代码")
    left_on = models.DateField("出境日期", null=True, blank=True)
    contacts_tried = models.TextField("联系家长情况", help_text="学校多次联系监护人要求复学的时间、方式和结果。")
    opened_on = models.DateField("确认辍学日期")
    confirmed_by = models.ForeignKey("xueji.User", verbose_name="确认人", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_on = models.DateField("结案日期", null=True, blank=True)
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "辍学劝返"
        verbose_name_plural = "辍学劝返"
        ordering = ["-opened_on", "-id"]
        constraints = [
            # One open case per pupil: two registrars confirming at once cannot open two.
            models.UniqueConstraint(fields=["pupil"], condition=Q(status="open"), name="dropout_one_open_case"),
        ]
        indexes = [models.Index(fields=["school", "status"], name="dropout_case_school_status")]

    def __str__(self) -> str:
        return f"{self.pupil}（{self.get_status_display()}）"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class CaseStep(models.Model):
    """One logged step of the return procedure."""

    class Kind(models.TextChoices):
        BUREAU_REPORT = "bureau_report", "书面报告教育局"
        HOME_VISIT = "home_visit", "家访"
        NOTICE = "notice", "送达劝返复学通知书"
        REFERRAL = "referral", "报乡镇政府（街道办）"
        RETURNED = "returned", "复学"
        AGED_OUT = "aged_out", "年满16周岁结案"

    case = models.ForeignKey(DropoutCase, verbose_name="辍学劝返", on_delete=models.PROTECT, related_name="steps")
    kind = models.CharField("步骤", max_length=20, choices=Kind.choices)
    day = models.DateField("日期")
    by = models.ForeignKey("xueji.User", verbose_name="记录人", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text = models.TextField("情况", blank=True)
    # Home visit: who went and what came of it.
    visitors = models.CharField("家访人员", max_length=200, blank=True)
    outcome = models.TextField("家访结果", blank=True)
    # Written notice: the date by which the pupil must be back.
    deadline = models.DateField("限期复学日期", null=True, blank=True)
    # Referral: the township government or street office that acts next, and what it did.
    referred_to = models.CharField("移交单位", max_length=100, blank=True)
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "劝返步骤"
        verbose_name_plural = "劝返步骤"
        ordering = ["case_id", "day", "id"]
        indexes = [models.Index(fields=["case", "day"], name="dropout_step_case_day")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.day:%Y-%m-%d}"


class VisitPhoto(models.Model):
    """A photo taken on a home visit (家访拍照留存备查): JPG or PNG, checked by content and
    re-encoded without its metadata (xueji.files.proof), stored under a random name in
    the private folder and served only to those who see the case (dropouts.views.dropout_photo)."""

    step = models.ForeignKey(CaseStep, verbose_name="劝返步骤", on_delete=models.PROTECT, related_name="photos")
    file = models.FileField("照片", upload_to=private_upload_path)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("类型", max_length=40)
    size = models.PositiveIntegerField("大小")
    uploaded_by = models.ForeignKey("xueji.User", verbose_name="上传人", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "家访照片"
        verbose_name_plural = "家访照片"
        ordering = ["step_id", "id"]

    def __str__(self) -> str:
        return self.original_name
