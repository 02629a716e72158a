"""The enrolment API: the template, uploads (answering with the upload's id, then its status,
progress and every error), the new pupils, classes, submission and identity confirmation.
Scoped like the pages: a registrar works on the own school, the bureau confirms in its area.
Deciding on a submitted batch is /api/v1/requests/{id}/decide/ like every request (a return
names the pupils in ``returns``: {entry id: reason})."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from enrollment.intake import services
from enrollment.intake.models import EnrolmentEntry, EnrolmentImport, EntryStatus
from xueji.accounts.models import Role, Unit
from xueji.accounts.permissions import acting_membership, acting_school
from xueji.accounts.scoping import MAX_ID, NotInScope, object_id
from xueji.approvals.api import RequestSerializer
from xueji.approvals.scoping import get_request_for_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The grades a new pupil enters (named in the schema by settings.SPECTACULAR_SETTINGS).
INTAKE_GRADES = [(1, "一年级"), (7, "七年级")]


def registrar_school(request) -> Unit:
    """The school the caller registers for now (as on the pages)."""
    return acting_school(request, message="只有学校学籍管理员可以办理新生建籍。")


def school_people_unit(request) -> Unit | None:
    """The school the caller works at as its registrar or headmaster now, or None."""
    membership = acting_membership(request, (Role.REGISTRAR, Role.HEADMASTER))
    return membership.unit if membership is not None else None


def _grade(value, school) -> int:
    grades = [g for g in (1, 7) if g in school.grades]
    if not grades:
        raise ValidationError("该学校没有起始年级。")
    if value in (None, ""):
        return grades[0]
    if str(value) not in ("1", "7") or int(value) not in grades:
        raise ValidationError({"grade": "新生年级只能是本校的一年级或七年级。"})
    return int(value)


class ImportSerializer(serializers.ModelSerializer):
    class Meta:
        model = EnrolmentImport
        fields = ["id", "file_name", "intake_year", "grade", "status", "progress", "total_rows", "created_count",
                  "errors", "uploaded_at", "finished_at", "file_deleted_at"]

    file_deleted_at = serializers.DateTimeField(
        source="content_deleted_at", read_only=True,
        help_text="上传的原文件按规定删除的时间（导入完成 30 天后；文件摘要、人数和错误清单保留）",
    )


class ImportStartSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="填好的新生信息模板（.xlsx）")
    grade = serializers.ChoiceField(choices=INTAKE_GRADES, required=False)


class EntrySerializer(serializers.ModelSerializer):
    school_class_name = serializers.CharField(source="school_class.name", default="", read_only=True)
    student_number = serializers.CharField(source="pupil.student_number", default="", read_only=True)

    class Meta:
        model = EnrolmentEntry
        fields = ["id", "intake_year", "grade", "row", "name", "gender", "birth_date", "id_type", "id_number",
                  "school_class", "school_class_name", "status", "return_reason", "batch", "pupil", "student_number"]


class TemplateView(APIView):
    throttle_scope = "download"

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY}, summary="下载本年度新生信息模板（xlsx）")
    def get(self, request):
        from enrollment.intake.xlsx_template import build_template

        if school_people_unit(request) is None:
            raise Http404
        year = services.current_intake_year()
        response = HttpResponse(build_template(year), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="enrolment-template-{year}.xlsx"'
        return response


class ImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Uploads of the caller's school, newest first."""

    serializer_class = ImportSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return EnrolmentImport.objects.none()
        school = school_people_unit(self.request)
        if school is None:
            return EnrolmentImport.objects.none()
        return EnrolmentImport.objects.filter(school=school).defer("content").order_by("-uploaded_at", "-id")

    def get_object(self) -> EnrolmentImport:
        """An upload of the caller's school; any other is a refused lookup (audited 404)."""
        upload = self.get_queryset().filter(pk=object_id(self.kwargs["pk"])).first()
        if upload is None:
            raise NotInScope("没有这次导入。", what="enrolmentimport", object_id=self.kwargs["pk"])
        return upload

    @extend_schema(request={"multipart/form-data": ImportStartSerializer}, responses={201: ImportSerializer},
                   summary="上传新生信息文件（整份校验，全部通过才导入）")
    def create(self, request):
        data = ImportStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        school = registrar_school(request)
        upload = data.validated_data["file"]
        if upload.size > 20 * 1024 * 1024:
            raise ValidationError({"file": "文件超过 20 MB。"})
        imported = services.import_start(
            actor=request.user, school=school, intake_year=services.current_intake_year(),
            grade=_grade(data.validated_data.get("grade"), school), file_name=upload.name, content=upload.read(),
        )
        return Response(ImportSerializer(EnrolmentImport.objects.defer("content").get(pk=imported.pk)).data,
                        status=status.HTTP_201_CREATED)


class EntryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The new pupils of the caller's school, this year's intake."""

    serializer_class = EntrySerializer

    @extend_schema(parameters=[OpenApiParameter("grade", int, description="1 或 7"),
                               OpenApiParameter("status", str, enum=EntryStatus.values)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return EnrolmentEntry.objects.none()
        school = school_people_unit(self.request)
        if school is None:
            return EnrolmentEntry.objects.none()
        # The serializer shows no field of the record: its encrypted JSON is not read.
        queryset = EnrolmentEntry.objects.filter(school=school, intake_year=services.current_intake_year()).defer(
            "data", "guardians")
        if self.request.query_params.get("grade") in ("1", "7"):
            queryset = queryset.filter(grade=int(self.request.query_params["grade"]))
        if self.request.query_params.get("status") in EntryStatus.values:
            queryset = queryset.filter(status=self.request.query_params["status"])
        return queryset.select_related("school_class", "pupil").order_by("pk")


class ClassActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[("create", "建班"), ("assign", "分班"), ("balance", "均衡分班")])
    grade = serializers.ChoiceField(choices=INTAKE_GRADES, required=False)
    count = serializers.IntegerField(required=False, min_value=1, max_value=30, help_text="建班：班级数")
    school_class = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="分班：目标班级")
    entries = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False,
                                    help_text="分班：新生编号")


class ClassesView(APIView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(request=ClassActionSerializer,
                   responses={200: inline_serializer("ClassActionResult", {"done": serializers.IntegerField()})},
                   summary="建班、分班、一键均衡分班")
    def post(self, request):
        data = ClassActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        school = registrar_school(request)
        grade, year = _grade(values.get("grade"), school), services.current_intake_year()
        if values["action"] == "create":
            if not values.get("count"):
                raise ValidationError({"count": "请填写班级数。"})
            done = len(services.classes_create(actor=request.user, school=school, intake_year=year, grade=grade, count=values["count"]))
        elif values["action"] == "assign":
            school_class = services.intake_classes(school, year, grade).filter(pk=values.get("school_class")).first()
            if school_class is None or not values.get("entries"):
                raise ValidationError("请选择本校本年级的班级和要分班的新生。")
            done = services.entries_assign(actor=request.user, school=school, entry_ids=values["entries"], school_class=school_class)
        else:
            done = sum(services.entries_balance(actor=request.user, school=school, intake_year=year, grade=grade).values())
        return Response({"done": done})


class SubmitView(APIView):
    @extend_schema(request=inline_serializer("EnrolmentSubmit", {"grade": serializers.ChoiceField(choices=INTAKE_GRADES, required=False)}),
                   responses={201: RequestSerializer}, summary="上报本年度待上报的新生（校长审核、教育局审批）")
    def post(self, request):
        school = registrar_school(request)
        batch = services.batch_submit(actor=request.user, school=school, intake_year=services.current_intake_year(),
                                      grade=_grade(request.data.get("grade"), school))
        return Response(RequestSerializer(get_request_for_user(request.user, batch.pk), context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class IdentityConfirmView(APIView):
    @extend_schema(
        request=inline_serializer("IdentityConfirm", {"pupils": serializers.ListField(child=serializers.IntegerField())}),
        responses={200: inline_serializer("IdentityConfirmResult", {"confirmed": serializers.IntegerField()})},
        summary="教育局确认新生身份：赋 G（有身份证件号）或 J（无）字头学籍号",
    )
    def post(self, request):
        ids = request.data.get("pupils")
        if not isinstance(ids, list) or not all(isinstance(i, int) and 0 < i <= MAX_ID for i in ids):
            raise ValidationError({"pupils": "请提供学生编号的列表。"})
        return Response({"confirmed": services.identity_confirm(actor=request.user, pupil_ids=ids)})
