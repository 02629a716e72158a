"""The append-only audit log."""

from django.db import models

# What each action is called on the audit page; apps add theirs (from their AppConfig.ready()).
AUDIT_ACTIONS = {
    "login": "登录",
    "login.failed": "登录失败",
    "login.locked": "锁定期间尝试登录",
    "login.unlock": "解除登录锁定",
    "logout": "退出登录",
    "permission.denied": "拒绝越权操作",
    "lookup.denied": "拒绝查看范围外的对象",
    "pupil.lookup": "按学籍号和姓名查找学生",
    "pupil.search": "按证件号或学籍号搜索学生",
    "photo.view": "查看学生照片",
    "dropout.photo_view": "查看家访照片",
    "pupil.view": "查看学籍",
    "pupil.create": "建立学籍",
    "pupil.update": "修改学籍信息",
    "pupil.status": "学籍状态变动",
    "pupil.delete": "删除问题学籍",
    "pupil.move": "学籍转移",
    "pupil.sanction": "登记处分",
    "photo.upload": "上传学生照片",
    "photo.remove": "删除学生照片",
    "photo.import": "批量导入学生照片",
    "class.roster": "打印花名册",
    "document.print": "打印文书",
    "document.export": "导出文书",
    "document.download": "下载已生成的文书",
    "document.verify": "核验文书",
    "cards.job": "批量生成学籍卡",
    "archive.sent": "档案已移交",
    "archive.received": "档案已接收",
    "request.start": "发起申请",
    "request.approve": "审批同意",
    "request.reject": "审批退回",
    "request.withdraw": "撤回申请",
    "attachment.view": "查看附件",
    "permission.grant": "授予权限",
    "permission.revoke": "收回权限",
    "permission.change": "变更权限",
    # Issue 12: the second factor, sealing, the three admins (三员分立).
    "login.otp": "动态验证码验证通过",
    "login.sealed": "封存账号尝试登录",
    "login.address_locked": "暂停地址登录（失败次数过多）",
    "account.seal": "封存账号",
    "account.unseal": "解除账号封存",
    "otp.enrol": "绑定身份验证器",
    "otp.reset": "重置动态验证码",
    "credentials.revoke": "结束会话并收回令牌",
    "password.reset": "重置密码（临时密码）",
    "admin.add": "系统管理：新增",
    "admin.change": "系统管理：修改",
    "admin.delete": "系统管理：删除",
    "audit.export": "导出审计日志",
    # Issue 14: the guardian's progress page, with no account (xueji/approvals/tracking.py).
    "track.open": "家长扫码打开进度查询",
    "track.view": "家长查看申请办理进度",
    "track.failed": "家长查询核对信息错误",
    "track.locked": "家长查询错误过多被暂停",
    "track.disabled": "家长查询未开放",
    # reports/
    "report.statistics.xlsx": "导出统计报表（Excel）",
    "report.monthly.generate": "生成学籍变动月报",
    "report.monthly.regenerate": "重新生成学籍变动月报",
    "report.monthly.pdf": "打印学籍变动月报",
    "report.monthly.xlsx": "导出学籍变动月报（Excel）",
}


class AuditEntry(models.Model):
    """One thing that happened: a login, a view of a pupil's record, an export, a write, a
    decision, a permission change. A database trigger refuses UPDATE and DELETE on this table,
    and the application's database role holds only INSERT and SELECT on it, so the application
    cannot change or remove an entry; another trigger chains each entry to the one before by hash. Entries never carry ID numbers or
    passwords (xueji/accounts/audit.py scrubs the text)."""

    class Result(models.TextChoices):
        OK = "ok", "成功"
        DENIED = "denied", "拒绝"
        FAILED = "failed", "失败"

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    # References without database constraints: an entry outlives the user or unit it names.
    user = models.ForeignKey(
        "xueji.User", verbose_name="用户", null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    username = models.CharField("用户名", max_length=150, blank=True)
    role = models.CharField("角色", max_length=30, blank=True)
    unit = models.ForeignKey(
        "xueji.Unit", verbose_name="单位", null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    # The unit's path when the entry was written: a bureau reads the entries of its subtree.
    unit_path = models.CharField(max_length=255, blank=True, db_index=True)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    action = models.CharField("操作", max_length=40, db_index=True)
    object_type = models.CharField("对象类型", max_length=40, blank=True)
    object_id = models.CharField("对象编号", max_length=40, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    result = models.CharField("结果", max_length=10, choices=Result.choices, default=Result.OK)
    detail = models.TextField("说明", blank=True)
    # The hash chain (migration 0012_audit_chain, xueji/accounts/audit_chain.py): a BEFORE INSERT
    # trigger sets these three, whatever the INSERT says; db_default makes Django leave them to the
    # database and read them back (RETURNING) after the insert.
    chain_seq = models.BigIntegerField("链序号", unique=True, db_default=0, editable=False)
    prev_hash = models.CharField("前一条的哈希", max_length=64, db_default="", editable=False)
    entry_hash = models.CharField("本条哈希", max_length=64, db_default="", editable=False)

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action}"

    @property
    def action_label(self) -> str:
        return AUDIT_ACTIONS.get(self.action, self.action)

    @property
    def role_label(self) -> str:
        from xueji.accounts.models.users import Role

        return Role(self.role).label if self.role in Role.values else self.role


class AuditChainCheck(models.Model):
    """One walk of the audit log's hash chain (manage.py audit_verify, the nightly task): the audit
    admins' home page shows the last one, and warns when it found a break."""

    at = models.DateTimeField("检查时间", auto_now_add=True, db_index=True)
    intact = models.BooleanField("完整")
    entries = models.BigIntegerField("已核对条数", default=0)
    last_hash = models.CharField("最后一条的哈希", max_length=64, blank=True)
    # The first broken link: the entry, its time and what differs (no personal data: ids and hashes).
    broken_entry_id = models.BigIntegerField("断点记录编号", null=True, blank=True)
    broken_entry_at = models.DateTimeField("断点记录时间", null=True, blank=True)
    problem = models.CharField("问题", max_length=300, blank=True)

    class Meta:
        verbose_name = "审计日志完整性检查"
        verbose_name_plural = "审计日志完整性检查"
        ordering = ["-at", "-id"]
