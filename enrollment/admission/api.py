"""The admission list's API under /api/v1/enrollment/: the scoped list, the bureau's import and
the three-way table. Scoping as on the pages: a school's people see its list, a central school
and a bureau the lists under them; ID numbers are masked for roles that see them masked on
pupils (city and province officers)."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from enrollment.admission.consistency import three_way
from enrollment.admission.models import AdmissionEntry
from enrollment.admission.services import (
    EARLIEST_INTAKE_YEAR,
    MAX_FILE_BYTES,
    AdmissionImportInvalid,
    admission_import,
    admission_schools_visible_to,
    admissions_visible_to,
)
from enrollment.intake.services import current_intake_year
from xueji.accounts.models import BUREAU_ROLES
from xueji.accounts.permissions import NotAllowed
from xueji.accounts.scoping import MAX_ID, memberships_of
from xueji.files.spreadsheets import ExcelRefused
from xueji.pupils.visibility import visibility_for


class AdmissionQuerySerializer(serializers.Serializer):
    school = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="学校编号")
    year = serializers.IntegerField(required=False, min_value=EARLIEST_INTAKE_YEAR, max_value=2100, help_text="入学年份")


class AdmissionSerializer(serializers.ModelSerializer):
    school_name = serializers.CharField(source="school.name", read_only=True)
    school_code = serializers.CharField(source="school.code", read_only=True)
    gender_label = serializers.CharField(source="get_gender_display", read_only=True)
    id_type_label = serializers.CharField(source="get_id_type_display", read_only=True)
    entry_status = serializers.SerializerMethodField(help_text="新生登记状态；空表示学校尚未登记")

    class Meta:
        model = AdmissionEntry
        fields = [
            "id", "school", "school_name", "school_code", "intake_year", "grade", "name", "gender", "gender_label",
            "birth_date", "id_type", "id_type_label", "id_number", "arrived_on", "entry_status",
        ]

    def get_entry_status(self, entry) -> str:
        return getattr(entry, "entry_status", None) or ""

    def to_representation(self, entry):
        data = super().to_representation(entry)
        # The same rule as a pupil's record (xueji.pupils.visibility): the entry has a school like a
        # pupil has.
        data["id_number"] = visibility_for(self.context["request"].user, entry).id_number(data["id_number"])
        return data


class AdmissionListView(generics.ListAPIView):
    """The admission lists the caller may see, by school and intake year."""

    serializer_class = AdmissionSerializer

    @extend_schema(parameters=[AdmissionQuerySerializer], summary="录取名单（按权限范围）")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = AdmissionQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        entries = admissions_visible_to(self.request.user).select_related("school")
        if "school" in query.validated_data:
            entries = entries.filter(school_id=query.validated_data["school"])
        if "year" in query.validated_data:
            entries = entries.filter(intake_year=query.validated_data["year"])
        return entries.order_by("school_id", "intake_year", "id")


class AdmissionImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="录取名单 .xlsx（列：学校代码、姓名、性别、出生日期、身份证件类型、身份证件号）")
    intake_year = serializers.IntegerField(min_value=EARLIEST_INTAKE_YEAR, max_value=2100)
    bureau = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="导入单位编号；只在一个用户任职于多个教育局时需要"
    )

    def validate_file(self, upload):
        if upload.size > MAX_FILE_BYTES:
            raise serializers.ValidationError(f"文件超过 {MAX_FILE_BYTES // 1024 // 1024} MB，请确认上传的是录取名单。")
        return upload


class AdmissionRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Excel 中的行号")
    column = serializers.CharField(help_text="列名（表头）")
    value = serializers.CharField(help_text="单元格内容")
    message = serializers.CharField(help_text="错误原因")


class AdmissionImportView(APIView):
    """A bureau officer imports the admission list; nothing is written when any row is wrong."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": AdmissionImportSerializer},
        responses={
            201: inline_serializer(
                "AdmissionImported", {"created": serializers.IntegerField(), "intake_year": serializers.IntegerField()}
            ),
            400: OpenApiResponse(
                inline_serializer("AdmissionImportRefused", {
                    "detail": serializers.CharField(), "errors": AdmissionRowErrorSerializer(many=True),
                    "code": serializers.CharField(
                        required=False, help_text="文件本身被拒绝时的原因代码（如 zip_bomb、macros、formulas）"
                    ),
                }),
                description="文件无法读取，或有错误的行（errors 列出每一处，整个文件未导入）",
            ),
            403: OpenApiResponse(description="不是教育局学籍管理员"),
        },
        summary="教育局导入新生录取名单",
    )
    def post(self, request):
        data = AdmissionImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        bureaus = [m.unit for m in memberships_of(request.user) if m.role in BUREAU_ROLES]
        if "bureau" in values:
            bureaus = [unit for unit in bureaus if unit.pk == values["bureau"]]
        if not bureaus:
            raise NotAllowed("只有教育局学籍管理员可以导入新生录取名单。")
        try:
            count = admission_import(
                actor=request.user, bureau=bureaus[0], intake_year=values["intake_year"],
                file_bytes=values["file"].read(),
            )
        except AdmissionImportInvalid as error:
            return Response(
                {"detail": error.message, "errors": [error._asdict() for error in error.row_errors]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        except ExcelRefused as error:
            return Response({"detail": " ".join(error.messages), "code": error.code, "errors": []},
                            status=status.HTTP_400_BAD_REQUEST)
        return Response({"created": count, "intake_year": values["intake_year"]}, status=status.HTTP_201_CREATED)


class ConsistencyQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(
        required=False, min_value=EARLIEST_INTAKE_YEAR, max_value=2100, help_text="入学年份，默认当前招生年度"
    )


class SchoolConsistencySerializer(serializers.Serializer):
    school = serializers.IntegerField(source="school.pk")
    school_name = serializers.CharField(source="school.name")
    school_code = serializers.CharField(source="school.code")
    admitted = serializers.IntegerField(help_text="录取")
    arrived = serializers.IntegerField(help_text="报到")
    registered = serializers.IntegerField(help_text="已建籍")
    in_progress = serializers.IntegerField(help_text="办理中（待上报、审批中、被退回）")
    behind = serializers.IntegerField(help_text="报到后超过规定天数仍未建籍")
    deadline_days = serializers.IntegerField(help_text="报到后须建立学籍的天数（教育局设置）")


class ConsistencyView(APIView):
    """Admitted, arrived, registered, in progress and behind, per school the caller may see."""

    @extend_schema(parameters=[ConsistencyQuerySerializer], responses=SchoolConsistencySerializer(many=True),
                   summary="新生三方一致（录取、报到、建籍）")
    def get(self, request):
        query = ConsistencyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        today = timezone.localdate()
        year = query.validated_data.get("year") or current_intake_year(today)
        lines = three_way(admission_schools_visible_to(request.user), year, today)
        return Response(SchoolConsistencySerializer(lines, many=True).data)

