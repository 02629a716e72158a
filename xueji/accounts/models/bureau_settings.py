"""Local rules of a bureau. Every local rule is a setting with the regulation's value as default."""

from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models

MONTH_DAY = RegexValidator(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$", "请按“月-日”填写，例如 07-15。")


class BureauSettings(models.Model):
    """The settings of one bureau. Schools take their rules from their nearest bureau; where a
    bureau has no row, the defaults below (the regulations' values) apply."""

    bureau = models.OneToOneField(
        "xueji.Unit", verbose_name="教育行政部门", on_delete=models.CASCADE, related_name="bureau_settings"
    )
    # 农安县学籍管理办法 第六条: 小学班额不超过 45 人，初中班额不超过 50 人。
    class_cap_primary = models.PositiveSmallIntegerField("小学班额上限", default=45)
    class_cap_junior = models.PositiveSmallIntegerField("初中班额上限", default=50)
    # Special-education schools teach small classes (8–14 pupils by the kind of disability); one
    # cap for all their grades. A 专门学校 takes the junior cap.
    class_cap_special = models.PositiveSmallIntegerField("特殊教育学校班额上限", default=12)
    # Approvals. 农安县办法 第二十一条: 转入学校、转出学校和教育局分别在 10 个工作日内完成审核。
    approval_working_days = models.PositiveSmallIntegerField("每一方审批时限（工作日）", default=10)
    reminder_working_days = models.PositiveSmallIntegerField("到期前几个工作日提醒", default=2)
    # Transfers. 中小学生学籍管理办法: 转学一般在学期开学后两周内或结束前一个月内办理；
    # 学期中期只办理工作调动、住所迁移的转学。全国系统：7月15日至8月14日暂停转学。
    transfer_window_start_days = models.PositiveSmallIntegerField("开学后可办理转学的天数", default=14)
    transfer_window_end_days = models.PositiveSmallIntegerField("学期结束前可办理转学的天数", default=30)
    transfer_pause_start = models.CharField("暂停转学开始（月-日）", max_length=5, default="07-15", validators=[MONTH_DAY])
    transfer_pause_end = models.CharField("暂停转学结束（月-日）", max_length=5, default="08-14", validators=[MONTH_DAY])
    # Local limits (e.g. 农安县办法 第十八条: 原则上县城学校之间不允许办理转学).
    forbid_transfers_between_county_town_schools = models.BooleanField("禁止县城学校之间转学", default=False)
    forbid_transfers_within_township = models.BooleanField("禁止同一乡镇内转学", default=False)
    # Transfer papers (转学申请表, 转学联系函): some provinces abolished the paper forms, the
    # transfer running on the system alone; there the papers are neither offered nor printed.
    transfer_paper_forms = models.BooleanField(
        "使用纸质转学申请表和转学联系函", default=True,
        help_text="不勾选时，转学申请页不提供打印，打印地址答复“本地已取消纸质转学表格”。",
    )
    # Enrolment. 中小学生学籍管理办法 and the 新生上报需知: 小学新生须年满 6 周岁（8 月 31 日前）；
    # 采集 9 月 1–15 日，上报 9 月 16–30 日；学生入学后 1 个月内建立学籍。
    entry_age_primary = models.PositiveSmallIntegerField("小学入学年龄（周岁）", default=6)
    entry_age_cutoff = models.CharField("入学年龄截止日（月-日）", max_length=5, default="08-31", validators=[MONTH_DAY])
    enrolment_collect_start = models.CharField("新生信息采集开始（月-日）", max_length=5, default="09-01", validators=[MONTH_DAY])
    enrolment_collect_end = models.CharField("新生信息采集结束（月-日）", max_length=5, default="09-15", validators=[MONTH_DAY])
    enrolment_submit_start = models.CharField("新生学籍上报开始（月-日）", max_length=5, default="09-16", validators=[MONTH_DAY])
    enrolment_submit_end = models.CharField("新生学籍上报结束（月-日）", max_length=5, default="09-30", validators=[MONTH_DAY])
    enrolment_deadline_days = models.PositiveSmallIntegerField("到校后须建立学籍的天数", default=30)
    # The school year (the national system's calendar): business touching graduating grades
    # pauses from 1 July; pending requests of graduating pupils are cleared or finished by 15 July;
    # graduation is finished by 31 July; every other pupil moves up one grade on 10 August.
    graduation_opens = models.CharField("毕业办理开始（月-日）", max_length=5, default="07-01", validators=[MONTH_DAY])
    graduating_clear_date = models.CharField("毕业年级待办业务清理截止（月-日）", max_length=5, default="07-15", validators=[MONTH_DAY])
    graduation_deadline = models.CharField("毕业办理截止（月-日）", max_length=5, default="07-31", validators=[MONTH_DAY])
    promotion_date = models.CharField("升级日期（月-日）", max_length=5, default="08-10", validators=[MONTH_DAY])
    # Suspensions. 002: 学生休学要严格掌握，一般不得超过同年级学生总数的 3%. Over it the bureau may
    # still approve, with a reason.
    suspension_cap_percent = models.PositiveSmallIntegerField(
        "同年级休学人数上限（%）", default=3, validators=[MaxValueValidator(100)],
        help_text="一所学校某年级的休学人数超过该年级人数的这一比例时，须由教育局填写理由特批。",
    )
    # Accounts. 2025 办法 第二十四条: passwords are changed regularly. Head teachers see masked
    # records and approve nothing: a second factor for them is the bureau's choice.
    password_max_age_days = models.PositiveSmallIntegerField(
        "密码有效期（天）", default=90, help_text="到期后登录时须修改密码。"
    )
    head_teacher_two_factor = models.BooleanField("班主任须使用动态验证码登录", default=False)
    # Data leaving the system (2025 办法 第二十四条, xueji/exports): the leader in charge approves
    # exports of personal data; a bureau with no such leader on the system lets its other officers
    # approve instead (never the one who asked).
    export_officers_may_approve = models.BooleanField(
        "本局其他学籍管理员可审批数据导出", default=False,
        help_text="不勾选时，导出个人信息的申请只能由分管领导审批。",
    )
    # The guardian's view (xueji/approvals/tracking.py): a QR code on every printed 申请表 leads
    # to a public page with the request's progress. Off: no QR is printed, the page says so.
    guardian_tracking = models.BooleanField(
        "申请表印二维码供家长查询办理进度", default=True,
        help_text="不勾选时，申请表上不印二维码，家长查询页面显示本地未开放。",
    )

    class Meta:
        verbose_name = "教育局设置"
        verbose_name_plural = "教育局设置"

    def __str__(self) -> str:
        return f"{self.bureau} 的设置"
