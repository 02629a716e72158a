"""/api/v1/pupils/left/: the sending school's copies of its pupils who left, beside their pages
(transfers/left/views.py), scoped alike (another school's copy is a 404), each read audited like
a record read. The record is the pupils' API's (xueji.pupils.api.PupilDetailSerializer) as it
stood that day, through the one visibility policy."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from transfers.left.models import LeftPupilCopy
from transfers.left.selectors import get_left_copy_for_user, left_copy_list, left_record
from xueji.accounts.audit import audit_record
from xueji.approvals.api import StepSerializer
from xueji.approvals.kinds import kind_label
from xueji.codes import GRADE_LABELS
from xueji.pupils.api import GuardianSerializer, PupilDetailSerializer
from xueji.pupils.lookup import audit_number_search
from xueji.pupils.visibility import visibility_for


class LeftPupilSerializer(serializers.ModelSerializer):
    student_number = serializers.SerializerMethodField(help_text="离校时的学籍号（G 字头学籍号按权限掩码）")
    school_name = serializers.CharField(source="school.name", read_only=True)
    grade_label = serializers.SerializerMethodField()
    kind_label = serializers.SerializerMethodField()

    class Meta:
        model = LeftPupilCopy
        fields = ["id", "pupil", "name", "student_number", "school", "school_name", "grade", "grade_label", "class_name",
                  "kind", "kind_label", "destination", "left_on"]

    def get_student_number(self, copy) -> str:
        return visibility_for(self.context["request"].user, copy.school).student_number(copy.student_number)

    def get_grade_label(self, copy) -> str:
        return GRADE_LABELS.get(copy.grade, "")

    def get_kind_label(self, copy) -> str:
        return kind_label(copy.kind)


class LeftRecordSerializer(PupilDetailSerializer):
    """The record as it stood: its guardians and numbers as they stood too (the context's), never
    the living record's."""

    guardians = serializers.SerializerMethodField()

    @extend_schema_field(GuardianSerializer(many=True))
    def get_guardians(self, pupil) -> list[dict]:
        return GuardianSerializer(self.context["guardians"], many=True).data

    def get_numbers(self, pupil) -> list[dict]:
        return [{"number": n.number, "kind": n.kind, "assigned_at": n.assigned_at, "retired_at": n.retired_at}
                for n in self.context["numbers"]]


class FactsSerializer(serializers.Serializer):
    title = serializers.CharField()
    rows = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))


class LeftPupilDetailSerializer(LeftPupilSerializer):
    record = serializers.SerializerMethodField(help_text="离校当天的学籍记录（只读）")
    decisions = serializers.SerializerMethodField(help_text="审批意见")
    proofs = serializers.SerializerMethodField(help_text="证明材料")
    facts = serializers.SerializerMethodField(help_text="纸质档案移交等")

    class Meta(LeftPupilSerializer.Meta):
        fields = LeftPupilSerializer.Meta.fields + ["record", "decisions", "proofs", "facts"]

    @property
    def _record(self):
        return self.context["record"]

    @extend_schema_field(LeftRecordSerializer)
    def get_record(self, copy) -> dict | None:
        record = self._record
        if record.pupil is None:
            return None
        context = {**self.context, "guardians": record.guardians, "numbers": record.numbers}
        return LeftRecordSerializer(record.pupil, context=context).data

    @extend_schema_field(StepSerializer(many=True))
    def get_decisions(self, copy) -> list[dict]:
        return StepSerializer(self._record.steps, many=True).data

    def get_proofs(self, copy) -> list[dict]:
        return [{"id": a.pk, "label": a.label, "name": a.original_name, "content_type": a.content_type, "size": a.size,
                 "url": reverse("approvals:attachment_download", args=[a.pk])} for a in self._record.attachments]

    @extend_schema_field(FactsSerializer(many=True))
    def get_facts(self, copy) -> list[dict]:
        return [{"title": facts.title, "rows": [{"label": label, "value": value} for label, value in facts.rows]}
                for facts in self._record.facts]


class LeftPupilViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Pupils who left the caller's school (or the schools under the caller's bureau): ``search``
    (or ``q``) takes a name or a 学籍号 as they stood when the pupil left."""

    queryset = LeftPupilCopy.objects.none()  # the model, for the schema; every request reads get_queryset()
    serializer_class = LeftPupilSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        params = self.request.query_params
        return left_copy_list(self.request.user, (params.get("search") or params.get("q") or "")[:50])

    @extend_schema(parameters=[OpenApiParameter("search", OpenApiTypes.STR, description="姓名（或其中几个字）或学籍号（或其开头），按离校时的记录")])
    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        params = request.query_params
        paginator = self.paginator.page.paginator if getattr(self.paginator, "page", None) else None
        audit_number_search((params.get("search") or params.get("q") or "")[:50],
                            found=paginator.count if paginator else len(response.data),
                            capped=paginator.capped if paginator else False, via="通过 API ")
        return response

    @extend_schema(responses=LeftPupilDetailSerializer)
    def retrieve(self, request, pk=None):
        copy = get_left_copy_for_user(request.user, pk)
        record = left_record(copy)
        audit_record(action="pupil.view", obj=copy.pupil, detail=f"通过 API 查看已转出学生的留存记录（{copy.left_on:%Y-%m-%d}离校）")
        return Response(LeftPupilDetailSerializer(copy, context={"request": request, "record": record}).data)
