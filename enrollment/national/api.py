"""The API of working beside the national system (under /api/v1/enrollment/): the readiness check,
the export in the national template's layout, the import of assigned G numbers. Same scopes and
roles as the pages (enrollment.national.views): 403 for a role that may not, 404 for a school
outside the caller's area."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from enrollment.national.readiness import ProblemKind, national_records, readiness_problems
from enrollment.national.services import MAX_FILE_BYTES, import_g_numbers
from enrollment.national.views import (
    EXPORT_ROLES,
    IMPORT_ROLES,
    READ_ROLES,
    XLSX,
    acting_membership,
    national_scope,
)
from xueji.accounts.scoping import MAX_ID
from xueji.files.spreadsheets import ExcelRefused


class XlsxRenderer(BaseRenderer):
    """Lets a client ask for the export with ``Accept: application/vnd…sheet``; the view answers
    with the file itself, errors stay JSON."""

    media_type = XLSX
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data) if not isinstance(data, bytes) else data


class NationalSchoolQuerySerializer(serializers.Serializer):
    school = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID,
                                      help_text="学校（教育局用户按学校筛选；学校用户只能是本校）")


def school_parameter(request, roles: set[str]) -> int | None:
    """The ``school`` query parameter, validated after the role: a role that may not gets its
    403 whatever it asks for."""
    acting_membership(request, roles)
    query = NationalSchoolQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data.get("school")


class NationalProblemSerializer(serializers.Serializer):
    pupil_id = serializers.IntegerField()
    student_number = serializers.CharField(help_text="学籍号（无权查看完整身份证件号的用户看到的是打码后的号码）")
    name = serializers.CharField()
    school_name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ProblemKind.choices)
    kind_label = serializers.CharField()
    blocking = serializers.BooleanField(help_text="国家系统会退回或列为问题学籍（false：信息待补全，不影响其他业务）")
    message = serializers.CharField()


class NationalReadinessSerializer(serializers.Serializer):
    checked = serializers.IntegerField(help_text="检查的学籍数")
    count = serializers.IntegerField(help_text="问题数（不含信息待补全）")
    incomplete = serializers.IntegerField(help_text="信息待补全的学籍数")
    problems = NationalProblemSerializer(many=True)


class NationalNumbersUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="国家学籍系统导出的学籍号文件（.xlsx），至少含“身份证件号”“学籍号”两列")

    def validate_file(self, upload):
        if upload.size > MAX_FILE_BYTES:
            raise serializers.ValidationError("文件太大，最大 10 MB；请按学校分批导入。")
        return upload


ImportRefusedSerializer = inline_serializer("NationalImportRefused", {
    "detail": serializers.CharField(),
    "code": serializers.CharField(required=False, help_text="文件本身被拒绝时的原因代码（如 zip_bomb、macros、formulas）"),
    "errors": inline_serializer("NationalImportRowError", {
        "row": serializers.IntegerField(help_text="Excel 中的行号（0 表示整个文件）"),
        "column": serializers.CharField(help_text="出错的列"),
        "message": serializers.CharField(),
    }, many=True),
})


class ReadinessView(APIView):
    """The problems a national upload would hit, for the caller's school or area."""

    @extend_schema(
        parameters=[NationalSchoolQuerySerializer],
        responses={200: NationalReadinessSerializer},
        summary="上报国家学籍系统前检查",
    )
    def get(self, request):
        school_id = school_parameter(request, READ_ROLES)
        scope = national_scope(request, READ_ROLES, school_id)
        problems = readiness_problems(
            scope.pupils, compare_within=scope.compare_within, name_other_records=scope.others_visible
        )
        rows = [
            {
                "pupil_id": p.pupil_id,
                "student_number": scope.visibility.student_number(p.student_number),
                "name": p.name, "school_name": p.school_name, "kind": p.kind, "kind_label": p.kind_label,
                "blocking": p.blocking, "message": p.message,
            }
            for p in problems
        ]
        data = {"checked": national_records(scope.pupils).count(), "count": sum(row["blocking"] for row in rows),
                "incomplete": len(rows) - sum(row["blocking"] for row in rows), "problems": rows}
        return Response(NationalReadinessSerializer(data).data)


EXPORT_REQUEST_REQUIRED = {
    "detail": "导出含个人信息的数据须先申请（POST /api/v1/exports/，kind=national），经分管领导审批后下载。",
    "code": "export_request_required",
    "export_request_required": True,
}


class NationalExportView(APIView):
    """Formerly the file itself; the records leave only through an approved export request
    (/api/v1/exports/, kind "national"): 403 with ``export_request_required``."""

    renderer_classes = [JSONRenderer, XlsxRenderer]
    throttle_scope = "export"

    @extend_schema(
        parameters=[NationalSchoolQuerySerializer],
        responses={403: inline_serializer("ExportRequestRequired", {
            "detail": serializers.CharField(), "code": serializers.CharField(),
            "export_request_required": serializers.BooleanField(),
        })},
        summary="导出国家学籍系统格式文件（须经导出申请，见 /api/v1/exports/）",
    )
    def get(self, request):
        school_id = school_parameter(request, EXPORT_ROLES)
        national_scope(request, EXPORT_ROLES, school_id)
        # JSON whatever the client asked for (a client that still asks for the file gets the reason).
        return Response(EXPORT_REQUEST_REQUIRED, status=status.HTTP_403_FORBIDDEN, content_type="application/json")


class NationalNumbersView(APIView):
    """Import the G numbers the national system assigned; all or nothing."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": NationalNumbersUploadSerializer},
        responses={
            200: inline_serializer(
                "NationalImportDone", {"assigned": serializers.IntegerField(help_text="获得 G 字头学籍号的学生数")}
            ),
            400: ImportRefusedSerializer,
        },
        summary="导入国家学籍系统分配的 G 字头学籍号",
    )
    def post(self, request):
        scope = national_scope(request, IMPORT_ROLES)
        upload = NationalNumbersUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            result = import_g_numbers(
                actor=request.user, file_bytes=upload.validated_data["file"].read(), scope_queryset=scope.pupils
            )
        except ValidationError as error:
            refused = {"code": error.code} if isinstance(error, ExcelRefused) else {}
            return Response({"detail": " ".join(error.messages), **refused, "errors": []},
                            status=status.HTTP_400_BAD_REQUEST)
        if not result.ok:
            errors = [{"row": e.row, "column": e.column, "message": e.message} for e in result.errors]
            return Response({"detail": f"{len(errors)} 处错误，整个文件未导入。", "errors": errors},
                            status=status.HTTP_400_BAD_REQUEST)
        return Response({"assigned": result.assigned})
