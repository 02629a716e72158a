"""The approval engine's records: a change request, its ordered steps, its attachments, the parties
that may see it, and the notices the engine sends (reminders, overdue, escalations, follow-ups).

What each kind of request does, and which chain of steps it takes, is declared in
``xueji/approvals/kinds.py``; the writes are in ``xueji/approvals/services.py``.
"""

from django.db import models
from django.db.models import Q

from xueji.files.storage import private_upload_path


class RequestStatus(models.TextChoices):
    PENDING = "pending", "审批中"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "已退回"
    WITHDRAWN = "withdrawn", "已撤回"


class StepStatus(models.TextChoices):
    WAITING = "waiting", "未开始"
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已同意"
    REJECTED = "rejected", "已退回"
    CANCELLED = "cancelled", "已取消"


class ChangeRequest(models.Model):
    """One change of a pupil's record that needs approval (a transfer, a suspension, …)."""

    kind = models.CharField("类型", max_length=40, db_index=True)
    # Empty for a request about many pupils at once (an enrolment batch): its payload names them.
    pupil = models.ForeignKey(
        "xueji.Pupil", verbose_name="学生", null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    payload = models.JSONField("申请内容", default=dict, blank=True)
    status = models.CharField("状态", max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    started_by = models.ForeignKey("xueji.User", verbose_name="发起人", on_delete=models.PROTECT, related_name="+")
    started_unit = models.ForeignKey("xueji.Unit", verbose_name="发起单位", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField("发起时间", auto_now_add=True)
    finished_at = models.DateTimeField("办结时间", null=True, blank=True)
    # The position of the step waiting for a decision, while the request is pending.
    current_position = models.PositiveSmallIntegerField("当前步骤", default=0)
    resubmission_of = models.ForeignKey(
        "self", verbose_name="重新提交自", null=True, blank=True, on_delete=models.PROTECT, related_name="resubmissions"
    )
    # Set once the kind's follow-up work (notices, hand-over tasks) has run after approval: the
    # deadline sweep runs it again for approved requests where this is still empty.
    followed_up_at = models.DateTimeField(null=True, blank=True)
    # The pupil's state (status, school, class, grade) just before the last approval applied the
    # effect: what a reversal (撤销, xueji/approvals/reversal.py) restores.
    state_before = models.JSONField("变动前状态", null=True, blank=True)
    # The code printed under the QR code of the request's 申请表, for the guardian's progress page
    # (/track/<code>/, xueji/approvals/tracking.py): random, unguessable, never the id; drawn
    # when the form is first printed. Empty until then. Unique by a constraint in Meta (one
    # b-tree index, no LIKE index beside it).
    tracking_code = models.CharField("进度查询码", max_length=16, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "变动申请"
        verbose_name_plural = "变动申请"
        ordering = ["-started_at", "-id"]
        constraints = [
            # One open request per pupil: two registrars starting at once cannot both succeed.
            models.UniqueConstraint(
                fields=["pupil"], condition=Q(status="pending"), name="request_one_open_per_pupil",
                violation_error_message="该学生已有正在办理的变动申请。",
            ),
            models.UniqueConstraint(fields=["tracking_code"], name="request_tracking_code_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "followed_up_at"], name="request_followup"),
            # Lists of requests, newest first (-started_at, -id): read backwards, a page is found
            # without sorting every request in scope.
            models.Index(fields=["started_at", "id"], name="request_recent"),
        ]

    def __str__(self) -> str:
        from xueji.approvals.kinds import kind_label

        return f"{kind_label(self.kind)} #{self.pk}"

    @property
    def subject(self) -> str:
        """Whom the request is about, for lists and notices: the pupil, or the batch's name."""
        return self.pupil.name if self.pupil_id else self.payload.get("subject", "")

    @property
    def subject_school_name(self) -> str:
        """The school the request is about, for lists: the pupil's, or the starting unit's for a batch."""
        return (self.pupil.school if self.pupil_id else self.started_unit).name

    @property
    def kind_label(self) -> str:
        from xueji.approvals.kinds import kind_label

        return kind_label(self.kind)


class ApprovalStep(models.Model):
    """One party's decision in a request's chain: the users holding ``role`` at ``unit`` decide."""

    # No index of its own: step_unique_position (request, position) serves lookups by request, and
    # one index fewer to keep up makes the deadline sweep's updates cheaper.
    request = models.ForeignKey(
        ChangeRequest, verbose_name="申请", on_delete=models.CASCADE, related_name="steps", db_index=False
    )
    position = models.PositiveSmallIntegerField("顺序")
    unit = models.ForeignKey("xueji.Unit", verbose_name="审批单位", on_delete=models.PROTECT, related_name="+")
    role = models.CharField("审批角色", max_length=30)
    label = models.CharField("步骤", max_length=60)
    working_days = models.PositiveSmallIntegerField("办理时限（工作日）", default=10)
    status = models.CharField("状态", max_length=20, choices=StepStatus.choices, default=StepStatus.WAITING)
    activated_at = models.DateTimeField("开始时间", null=True, blank=True)
    due_at = models.DateTimeField("截止时间", null=True, blank=True)
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        "xueji.User", verbose_name="审批人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField("意见", blank=True)
    # What the deadline sweep has done for this step (each once).
    reminded_at = models.DateTimeField("已提醒", null=True, blank=True)
    overdue_at = models.DateTimeField("已超期", null=True, blank=True)

    class Meta:
        verbose_name = "审批步骤"
        verbose_name_plural = "审批步骤"
        ordering = ["request_id", "position"]
        constraints = [models.UniqueConstraint(fields=["request", "position"], name="step_unique_position")]
        indexes = [
            # The inboxes: the pending steps of a unit and role, soonest due first.
            models.Index(
                fields=["unit", "role", "due_at"], condition=Q(status="pending"), name="step_inbox"
            ),
            # The deadline sweep: pending steps by due time.
            models.Index(fields=["due_at"], condition=Q(status="pending"), name="step_pending_due"),
        ]

    def __str__(self) -> str:
        return f"{self.request} · {self.label}"

    @property
    def decided_in_time(self) -> bool | None:
        if self.decided_at is None or self.due_at is None:
            return None
        return self.decided_at <= self.due_at


class RequestParty(models.Model):
    """A unit involved in a request (the starting school, the pupil's school, the target school,
    every deciding unit): its people, and the bureaus above it, may see the request."""

    request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="parties")
    unit = models.ForeignKey("xueji.Unit", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "unit"], name="party_unique")]


class Attachment(models.Model):
    """Proof attached to a request: PDF, JPG or PNG, checked by content, stored under a random
    name outside the web root (xueji/files/proof.py)."""

    request = models.ForeignKey(ChangeRequest, verbose_name="申请", on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField("文件", upload_to=private_upload_path)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("类型", max_length=40)
    size = models.PositiveIntegerField("大小")
    label = models.CharField("说明", max_length=100, blank=True)
    uploaded_by = models.ForeignKey("xueji.User", verbose_name="上传人", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["request_id", "id"]

    def __str__(self) -> str:
        return self.original_name


class Notice(models.Model):
    """A notice to the people holding ``role`` at ``unit`` (any role there when blank): a reminder,
    an overdue step, an escalation, or a kind's follow-up (e.g. "seat the pupil"). The unique
    ``key`` makes sending idempotent: a notice is written once, whoever tries again."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", "即将到期"
        OVERDUE = "overdue", "已超期"
        ESCALATION = "escalation", "下级超期"
        FOLLOW_UP = "follow_up", "待办"
        DECIDED = "decided", "审批结果"

    # Unique by a constraint in Meta rather than unique=True, which on PostgreSQL also builds a
    # LIKE (varchar_pattern_ops) index that nothing uses.
    key = models.CharField(max_length=120)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    # No index of its own: notice_unit_recent (unit, created_at, id) serves lookups by unit.
    unit = models.ForeignKey(
        "xueji.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    role = models.CharField("角色", max_length=30, blank=True)
    request = models.ForeignKey(ChangeRequest, verbose_name="申请", null=True, blank=True, on_delete=models.CASCADE, related_name="notices")
    message = models.CharField("内容", max_length=300)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["key"], name="notice_unique_key")]
        # Notices are read by unit, newest first (notices_for), in the order of ``ordering``: with
        # the id in the index a page of them is read off it even when a sweep wrote thousands at
        # the same moment. The sweep writes tens of thousands at once, so they carry no index
        # beyond this one, the key's and the request's.
        indexes = [models.Index(fields=["unit", "created_at", "id"], name="notice_unit_recent")]

    def __str__(self) -> str:
        return self.message
