"""学籍核查: in the first month of each semester every class is checked by roll-call against the
records (人籍一致). Named roll-call here so that it is not taken for the audit log.

000 三: 各校每学期开学后的第一个月要核查电子学籍、纸质学籍档案与在校生是否保持一致。按照学籍名单
逐班点名，弄清楚每个学生的学籍情况，确保人籍一致。核查过程中如发现学生没有学籍，按要求及时申请补录；
对照花名册，清理所有借读学生。"""

from django.db import models
from django.db.models import Q


class RollCall(models.Model):
    """The roll-call of one class in one semester, by its head teacher."""

    class Status(models.TextChoices):
        OPEN = "open", "进行中"
        DONE = "done", "已完成"

    semester = models.ForeignKey("xueji.Semester", verbose_name="学期", on_delete=models.PROTECT, related_name="+")
    school_class = models.ForeignKey("xueji.SchoolClass", verbose_name="班级", on_delete=models.PROTECT, related_name="roll_calls")
    # The class's school, kept here so that scoping by a bureau's subtree is one join.
    school = models.ForeignKey("xueji.School", verbose_name="学校", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    started_by = models.ForeignKey("xueji.User", verbose_name="发起人", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    held_on = models.DateField("点名日期", null=True, blank=True)
    finished_by = models.ForeignKey("xueji.User", verbose_name="提交人", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    finished_at = models.DateTimeField("提交时间", null=True, blank=True)

    class Meta:
        verbose_name = "学籍核查（班级点名）"
        verbose_name_plural = "学籍核查（班级点名）"
        ordering = ["school_id", "school_class__grade", "school_class__number"]
        constraints = [
            # One roll-call per class and semester: a head teacher opening the page twice at once
            # gets the same one (archives.rollcall.services.rollcall_open).
            models.UniqueConstraint(fields=["semester", "school_class"], name="rollcall_one_per_class"),
        ]
        indexes = [models.Index(fields=["school", "semester"], name="rollcall_school_semester")]

    def __str__(self) -> str:
        return f"{self.school_class} {self.semester} 学籍核查"


class RollCallEntry(models.Model):
    """One line of the roll-call: a pupil on the class's records, a visiting pupil (借读) seated in
    the class, or a child the teacher found in the class who is on no list (名单外)."""

    class Kind(models.TextChoices):
        RECORD = "record", "在册学生"
        VISITING = "visiting", "借读生"
        UNLISTED = "unlisted", "名单外"

    class Reason(models.TextChoices):
        SICK = "sick", "病假"
        LEAVE = "leave", "事假"
        VISITING_ELSEWHERE = "visiting_elsewhere", "在外校借读"
        MOVED = "moved", "已随家长迁走，未办转学"
        UNKNOWN = "unknown", "无故缺席（原因不明）"

    class Outcome(models.TextChoices):
        """The work an entry makes once its roll-call is submitted (archives.rollcall.services.outcome_of)."""

        LATE_REGISTRATION = "late_registration", "在校无学籍：须补建学籍"
        DROPOUT = "dropout", "无故缺席：疑似辍学"
        TRANSFER = "transfer", "已迁走未办手续：须跟进转学"
        VISITING = "visiting", "借读生：须学籍所在学校确认"

    roll_call = models.ForeignKey(RollCall, verbose_name="学籍核查", on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField("类别", max_length=10, choices=Kind.choices)
    # The record of the class (RECORD) or, for a visiting pupil, the record the home school keeps.
    pupil = models.ForeignKey("xueji.Pupil", verbose_name="学生", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    home_school = models.ForeignKey("xueji.School", verbose_name="学籍所在学校", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField("姓名", max_length=50)
    present = models.BooleanField("在校", null=True, blank=True)
    reason = models.CharField("缺席原因", max_length=20, choices=Reason.choices, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    marked_by = models.ForeignKey("xueji.User", verbose_name="点名人", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    marked_at = models.DateTimeField("点名时间", null=True, blank=True)
    # Set on submission: the work the entry made, and whether an unexplained absence went into the
    # dropouts app's absence log (a roll-call on a day that is no school day cannot).
    outcome = models.CharField("待办", max_length=20, choices=Outcome.choices, blank=True)
    absence_recorded = models.BooleanField("已记入缺课记录", default=False)
    # The school that acts on the outcome says it is done: the registrar (补建 applied for, the
    # family reached) or, for a visiting pupil, the home school (the record is kept there).
    handled_at = models.DateTimeField("处理时间", null=True, blank=True)
    handled_by = models.ForeignKey("xueji.User", verbose_name="处理人", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    handled_note = models.CharField("处理情况", max_length=200, blank=True)

    class Meta:
        verbose_name = "点名记录"
        verbose_name_plural = "点名记录"
        ordering = ["roll_call_id", "kind", "name", "id"]
        constraints = [
            # A pupil is called once per roll-call (entries are added when the list is synced).
            models.UniqueConstraint(fields=["roll_call", "pupil"], condition=Q(pupil__isnull=False), name="rollcall_entry_one_per_pupil"),
        ]
        indexes = [
            # The open work of a school (and a home school's visiting pupils to confirm).
            models.Index(fields=["outcome", "handled_at"], condition=~Q(outcome=""), name="rollcall_entry_open_work"),
        ]

    def __str__(self) -> str:
        return self.name
