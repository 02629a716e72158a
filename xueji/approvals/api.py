"""The engine's API: requests (list, detail), deciding, and the inbox. Scoped like the pages:
a request the caller may not see is a 404."""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from xueji.approvals.kinds import get_kind, prepare_summaries
from xueji.approvals.models import ApprovalStep, ChangeRequest
from xueji.approvals.reversal import reversal_start
from xueji.approvals.scoping import get_request_for_user, requests_visible_to
from xueji.approvals.services import request_decide, request_withdraw, working_days_left
from xueji.pupils.visibility import visibility_for


class StepSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name")
    status_label = serializers.CharField(source="get_status_display")
    decided_by_name = serializers.SerializerMethodField()
    working_days_left = serializers.SerializerMethodField()

    class Meta:
        model = ApprovalStep
        fields = ["position", "label", "unit", "unit_name", "role", "status", "status_label", "due_at", "decided_at",
                  "decided_by_name", "comment", "working_days_left"]

    def get_decided_by_name(self, step) -> str:
        return str(step.decided_by) if step.decided_by_id else ""

    def get_working_days_left(self, step) -> int | None:
        return working_days_left(step) if step.status == "pending" else None


class RequestSerializer(serializers.ModelSerializer):
    """A request with the pupil's transfer-relevant details (not the whole record), its content,
    its chain and its attachments."""

    kind_label = serializers.CharField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    pupil = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    details = serializers.SerializerMethodField()
    started_unit_name = serializers.CharField(source="started_unit.name", read_only=True)
    steps = StepSerializer(many=True, read_only=True)
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = ChangeRequest
        fields = ["id", "kind", "kind_label", "status", "status_label", "pupil", "summary", "details", "started_unit",
                  "started_unit_name", "started_at", "finished_at", "resubmission_of", "steps", "attachments"]

    def get_pupil(self, change) -> dict | None:
        pupil = change.pupil
        if pupil is None:  # a batch about many pupils: its details list them
            return None
        number = visibility_for(self.context["request"].user, pupil).student_number(pupil.student_number)
        return {"id": pupil.pk, "name": pupil.name, "gender": pupil.get_gender_display(), "birth_date": pupil.birth_date,
                "grade": pupil.grade, "school": pupil.school.name, "status": pupil.get_status_display(), "student_number": number}

    def get_summary(self, change) -> str:
        return get_kind(change.kind).summary(change)

    def get_details(self, change) -> list[dict]:
        rows = get_kind(change.kind).details_for(change, self.context["request"].user)
        return [{"label": label, "value": value} for label, value in rows]

    def get_attachments(self, change) -> list[dict]:
        return [
            {"id": a.pk, "name": a.original_name, "content_type": a.content_type, "size": a.size,
             "url": reverse("approvals:attachment_download", args=[a.pk])}
            for a in change.attachments.all()
        ]


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("approve", "同意"), ("reject", "退回")])
    comment = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    exception_reason = serializers.CharField(required=False, allow_blank=True, max_length=300)
    returns = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=300), required=False,
        help_text="退回新生建籍申请时，逐个学生的退回原因：{新生编号: 原因}",
    )
    fields = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=300), required=False,
        help_text="本步骤审批表单的其他字段（见申请页面），例如休学特批理由：{\"over_cap_reason\": \"…\"}",
    )


class ReversalSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="撤销理由")


class RequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Change requests the caller may see; ``decide`` approves or rejects the pending step."""

    serializer_class = RequestSerializer

    def get_queryset(self):
        queryset = requests_visible_to(self.request.user).select_related("pupil__school", "started_unit")
        return queryset.prefetch_related("steps__unit", "steps__decided_by", "attachments").order_by("-started_at", "-id")

    def get_object(self):
        return get_request_for_user(self.request.user, self.kwargs["pk"])

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        prepare_summaries(page or [])
        return page

    @extend_schema(request=DecisionSerializer, responses=RequestSerializer, summary="审批（同意或退回，退回须填写理由）")
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        change = self.get_object()
        decision = DecisionSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        data = decision.validated_data
        details = {**data.get("fields", {}), "exception_reason": data.get("exception_reason", ""), "returns": data.get("returns", {})}
        change = request_decide(
            actor=request.user, request_id=change.pk, approve=data["decision"] == "approve",
            comment=data.get("comment", ""), details=details,
        )
        return Response(RequestSerializer(get_request_for_user(request.user, change.pk), context={"request": request}).data)

    @extend_schema(request=None, responses=RequestSerializer, summary="发起人撤回申请（首个审批前，任何类型的申请）")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        change = self.get_object()
        request_withdraw(actor=request.user, request_id=change.pk)
        return Response(RequestSerializer(get_request_for_user(request.user, change.pk), context={"request": request}).data)

    @extend_schema(request=ReversalSerializer, responses={201: RequestSerializer},
                   summary="撤销审批：教育局在批准后 10 个工作日内撤销学籍状态变动（按原流程审批）")
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        change = self.get_object()
        data = ReversalSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        started = reversal_start(actor=request.user, original_id=change.pk, reason=data.validated_data["reason"])
        body = RequestSerializer(get_request_for_user(request.user, started.pk), context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class InboxStepSerializer(serializers.ModelSerializer):
    request = serializers.SerializerMethodField()
    working_days_left = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ApprovalStep
        fields = ["id", "label", "due_at", "working_days_left", "overdue", "request"]

    def get_working_days_left(self, step) -> int | None:
        return working_days_left(step)

    def get_overdue(self, step) -> bool:
        return step.due_at is not None and step.due_at < timezone.now()

    def get_request(self, step) -> dict:
        change = step.request
        steps = change.chain
        return {
            "id": change.pk, "kind": change.kind, "kind_label": change.kind_label, "pupil_name": change.subject,
            "pupil_school": change.subject_school_name, "summary": get_kind(change.kind).summary(change),
            "progress": f"{sum(s.status == 'approved' for s in steps)}/{len(steps)}",
            "attachments": [
                {"id": a.pk, "name": a.original_name, "url": reverse("approvals:attachment_download", args=[a.pk])}
                for a in change.proofs
            ],
        }


@extend_schema_view(get=extend_schema(parameters=[OpenApiParameter(
    "sort", str, enum=["due", "pupil"],
    description="排列：due 按截止时间（默认，超期的在最前）；pupil 按学生姓名拼音",
)]))
class InboxView(ListAPIView):
    """What waits for the caller's decision, soonest due (overdue) first, or (?sort=pupil) by the
    pupil's name in pinyin order, as the page."""

    serializer_class = InboxStepSerializer

    def get_queryset(self):
        from xueji.approvals.views import inbox_order, inbox_steps

        return inbox_steps(self.request.user, inbox_order(self.request.query_params.get("sort")))

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        prepare_summaries([step.request for step in page or []])
        return page
