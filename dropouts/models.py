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


# The three ledgers of the 2024 notice on dropout reporting ------------------------------------
# 适龄未入学 and 疑似辍学 are rows of LedgerEntry (found by ``dropouts.ledgers.ledger_sync``: the
# admission lists against the records, the absence log's ten-day runs); the 辍学 ledger's rows are
# the DropoutCase rows above, with their CaseStep as the return attempts.


class LedgerKind(models.TextChoices):
    NOT_ENROLLED = "not_enrolled", "适龄未入学"
    SUSPECTED = "suspected", "疑似辍学"
    DROPOUT = "dropout", "辍学"


class LedgerEntry(models.Model):
    """A child on the 适龄未入学 or 疑似辍学 ledger, from the day it was found to its 销号."""

    class CloseReason(models.TextChoices):
        RETURNED = "returned", "已返校"
        ENROLLED = "enrolled", "已入学建籍"
        CONFIRMED = "confirmed", "确认辍学，转入辍学台账"
        ELSEWHERE = "elsewhere", "已在其他地方就学"
        AGED_OUT = "aged_out", "年满16周岁"
        CHANGED = "changed", "学籍已变动（转学、休学等）"

    kind = models.CharField("台账", max_length=14, choices=[c for c in LedgerKind.choices if c[0] != "dropout"])
    school = models.ForeignKey("xueji.School", verbose_name="学校", on_delete=models.PROTECT, related_name="+")
    # 疑似辍学: the pupil's record. 适龄未入学: the child has no record; the admission list's row
    # (enrollment's AdmissionEntry, by id: apps do not share models) and who the child is.
    pupil = models.ForeignKey("xueji.Pupil", verbose_name="学生", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    admission_id = models.PositiveBigIntegerField("录取名单记录", null=True, blank=True)
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=1, blank=True)
    birth_date = models.DateField("出生日期")
    reason = models.CharField("原因", max_length=200)
    opened_on = models.DateField("登记日期")
    closed_on = models.DateField("销号日期", null=True, blank=True)
    close_reason = models.CharField("销号原因", max_length=10, choices=CloseReason.choices, blank=True)
    close_note = models.CharField("销号说明", max_length=200, blank=True)
    closed_by = models.ForeignKey("xueji.User", verbose_name="销号人", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "控辍台账"
        verbose_name_plural = "控辍台账"
        ordering = ["-opened_on", "-id"]
        constraints = [
            # One open row per child and ledger: two syncs at once cannot open two.
            models.UniqueConstraint(fields=["kind", "pupil"], condition=Q(closed_on__isnull=True, pupil__isnull=False),
                                    name="ledger_one_open_per_pupil"),
            # An admitted child is on the 适龄未入学 ledger once, open or closed.
            models.UniqueConstraint(fields=["admission_id"], condition=Q(admission_id__isnull=False),
                                    name="ledger_once_per_admission"),
        ]
        indexes = [models.Index(fields=["school", "kind", "closed_on"], name="ledger_school_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.name}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class LedgerAttempt(models.Model):
    """One return attempt (劝返) on a 适龄未入学 or 疑似辍学 row, and its result."""

    class Method(models.TextChoices):
        PHONE = "phone", "电话联系"
        HOME_VISIT = "home_visit", "家访"
        NOTICE = "notice", "书面通知"
        TOWNSHIP = "township", "乡镇政府（街道办）动员"
        OTHER = "other", "其他"

    entry = models.ForeignKey(LedgerEntry, verbose_name="台账", on_delete=models.PROTECT, related_name="attempts")
    day = models.DateField("日期")
    method = models.CharField("方式", max_length=10, choices=Method.choices)
    result = models.CharField("结果", max_length=500)
    by = models.ForeignKey("xueji.User", verbose_name="记录人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "劝返记录"
        verbose_name_plural = "劝返记录"
        ordering = ["entry_id", "day", "id"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.day:%Y-%m-%d}"


class MonthlyDropoutReport(models.Model):
    """A school's 控辍保学月报: the three ledgers as they stood when it was made (kept as figures
    and rows, so that a later change does not alter a report sent), signed by the headmaster."""

    school = models.ForeignKey("xueji.School", verbose_name="学校", on_delete=models.PROTECT, related_name="+")
    month = models.DateField("月份", help_text="该月1日")
    figures = models.JSONField("内容", default=dict)
    made_by = models.ForeignKey("xueji.User", verbose_name="生成人", on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField("生成时间")
    signed_by = models.ForeignKey("xueji.User", verbose_name="校长签字", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField("签字时间", null=True, blank=True)

    class Meta:
        verbose_name = "控辍保学月报"
        verbose_name_plural = "控辍保学月报"
        ordering = ["-month", "school_id"]
        constraints = [models.UniqueConstraint(fields=["school", "month"], name="dropout_report_one_per_month")]

    def __str__(self) -> str:
        return f"{self.school} {self.month:%Y年%m月}控辍保学月报"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None
