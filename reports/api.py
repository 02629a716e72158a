"""The API of reports/: /api/v1/statistics/ (a unit's statistics as JSON, and its spreadsheet) and
/api/v1/monthly-reports/ (the monthly change reports: list, one report with its figures, its PDF
and spreadsheet, a bureau's regeneration). Scoped as the pages: a unit or a report outside the
caller's area 404, a caller without a reporting role 403; prints and exports are audited."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from reports import selectors, services
from reports.models import MonthlyReport
from reports.statistics import unit_statistics
from reports.views import parse_month
from xueji.accounts.permissions import NotAllowed
from xueji.accounts.scoping import MAX_ID, current_membership
from xueji.documents.job_api import JOB_DESCRIPTION, JOB_RESPONSES, job_accepted
from xueji.identity import mask_student_number

_ID = {"min_value": 1, "max_value": MAX_ID}


class UnitQuerySerializer(serializers.Serializer):
    unit = serializers.IntegerField(required=False, help_text="单位编号；不填为调用者本人的单位", **_ID)


def _unit(request):
    query = UnitQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    selectors.require_report_role(request.user)
    if query.validated_data.get("unit"):
        return selectors.get_report_unit_for_user(request.user, query.validated_data["unit"])
    return selectors.home_unit(request.user, current_membership(request))


def statistics_data(stats: dict) -> dict:
    columns = [{"key": key, "label": header} for key, header in stats["columns"]]

    def values(line) -> dict:
        return {key: value for (key, _header), value in zip(stats["columns"], line.values())}

    return {
        "unit": stats["unit"],
        "as_of": stats["as_of"],
        "columns": columns,
        "total": values(stats["total"]),
        "by_grade": [{"grade": int(line.key), "label": line.label, "values": values(line)} for line in stats["by_grade"]],
        "breakdown_level": stats["level"],
        "breakdown": [{"key": line.key, "label": line.label, "unit": line.url_unit, "values": values(line)}
                      for line in stats["breakdown"]],
        "dimensions": stats["dimensions"],
    }


STATISTICS_RESPONSE = inline_serializer("UnitStatistics", {
    "unit": serializers.DictField(),
    "as_of": serializers.CharField(),
    "columns": serializers.ListField(child=serializers.DictField()),
    "total": serializers.DictField(child=serializers.IntegerField()),
    "by_grade": serializers.ListField(child=serializers.DictField()),
    "breakdown_level": serializers.ChoiceField(choices=["class", "school", "child"]),
    "breakdown": serializers.ListField(child=serializers.DictField()),
    "dimensions": serializers.ListField(child=serializers.DictField()),
})


class StatisticsView(APIView):
    @extend_schema(parameters=[UnitQuerySerializer], responses={200: STATISTICS_RESPONSE},
                   summary="单位的在籍学生统计（按年级、班级或下级单位，性别、民族、状态、留守、随迁、户口性质、残疾、问题学籍）")
    def get(self, request):
        unit = _unit(request)
        return Response(statistics_data(unit_statistics(request.user, unit)))


class StatisticsXlsxView(APIView):
    throttle_scope = "export"

    @extend_schema(parameters=[UnitQuerySerializer], responses=JOB_RESPONSES, description=JOB_DESCRIPTION,
                   summary="导出单位的在籍学生统计（Excel，后台生成）")
    def get(self, request):
        return job_accepted(request, "statistics_xlsx", {"unit": _unit(request).pk})


class MonthlyReportSerializer(serializers.ModelSerializer):
    unit = serializers.SerializerMethodField()
    month = serializers.SerializerMethodField()
    generated_by = serializers.SerializerMethodField()
    check = serializers.SerializerMethodField()

    class Meta:
        model = MonthlyReport
        fields = ["id", "unit", "month", "version", "generated_at", "generated_by", "note", "check"]

    def get_unit(self, report) -> dict:
        return {"id": report.unit_id, "name": report.unit.name, "kind": report.unit.kind}

    def get_month(self, report) -> str:
        return f"{report.month:%Y-%m}"

    def get_generated_by(self, report) -> str | None:
        return str(report.generated_by) if report.generated_by_id else None

    def get_check(self, report) -> dict:
        return report.figures.get("check", {})


class MonthlyReportDetailSerializer(MonthlyReportSerializer):
    figures = serializers.SerializerMethodField()

    class Meta(MonthlyReportSerializer.Meta):
        fields = [*MonthlyReportSerializer.Meta.fields, "figures"]

    def get_figures(self, report) -> dict:
        figures = dict(report.figures)
        user = self.context["request"].user
        if "details" in figures and not selectors.sees_full_numbers(user, report.unit):
            figures["details"] = [{**d, "student_number": mask_student_number(d["student_number"])}
                                  for d in figures["details"]]
        return figures


class MonthlyReportQuerySerializer(serializers.Serializer):
    month = serializers.RegexField(r"^\d{4}-\d{2}$", required=False, help_text="月份，如 2026-10")
    unit = serializers.IntegerField(required=False, **_ID)
    all_versions = serializers.BooleanField(required=False, default=False, help_text="列出全部版本（默认只列最新版本）")


class RegenerateSerializer(serializers.Serializer):
    unit = serializers.IntegerField(**_ID)
    month = serializers.RegexField(r"^\d{4}-\d{2}$", help_text="月份，如 2026-10")
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class MonthlyReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """学籍变动月报 of the units the caller may see, newest month first."""

    throttle_scopes = {"pdf": "download", "xlsx": "export"}  # xueji/web/throttles.py

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the types
            return MonthlyReport.objects.none()
        selectors.require_report_role(self.request.user)
        query = MonthlyReportQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        reports = selectors.reports_visible_to(self.request.user)
        values = query.validated_data
        if values.get("month"):
            month = parse_month(values["month"])
            if month is None:
                raise ValidationError({"month": "月份格式应为 2026-10。"})
            reports = reports.filter(month=month)
        if values.get("unit"):
            reports = reports.filter(unit_id=values["unit"])
        if not values.get("all_versions"):
            reports = selectors.latest_versions(reports)
        return reports.select_related("unit", "generated_by").order_by("-month", "unit__path", "-version")

    def get_serializer_class(self):
        return MonthlyReportDetailSerializer if self.action == "retrieve" else MonthlyReportSerializer

    def get_object(self):
        return selectors.get_report_for_user(self.request.user, self.kwargs["pk"])

    @extend_schema(parameters=[MonthlyReportQuerySerializer], summary="可查看的学籍变动月报（默认每个单位每月的最新版本）")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="一份学籍变动月报及其全部数据（月初月末人数、变动、核对、分单位、审批事项、明细）")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(responses=JOB_RESPONSES, operation_id="monthly_reports_pdf", description=JOB_DESCRIPTION,
                   summary="打印学籍变动月报（PDF，A4 横向，后台生成）")
    def pdf(self, request, pk=None):
        return job_accepted(request, "monthly_report_pdf", {"report": self.get_object().pk})

    @extend_schema(responses=JOB_RESPONSES, operation_id="monthly_reports_xlsx", description=JOB_DESCRIPTION,
                   summary="导出学籍变动月报（Excel，后台生成）")
    def xlsx(self, request, pk=None):
        return job_accepted(request, "monthly_report_xlsx", {"report": self.get_object().pk})

    @extend_schema(request=RegenerateSerializer, responses={201: MonthlyReportSerializer(many=True)},
                   summary="教育局按当前记录重新生成单位（含下属单位）某月的月报：各增加一个新版本，原版本保留")
    @action(detail=False, methods=["post"], url_path="regenerate", url_name="regenerate")
    def regenerate(self, request):
        selectors.require_report_role(request.user)
        data = RegenerateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        unit = selectors.get_report_unit_for_user(request.user, data.validated_data["unit"])
        if not selectors.may_regenerate(request.user, unit):
            raise NotAllowed("只有上级教育局可以重新生成月报。")
        month = parse_month(data.validated_data["month"])
        if month is None:
            raise ValidationError({"month": "月份格式应为 2026-10。"})
        reports = services.monthly_report_regenerate(actor=request.user, unit=unit, month=month,
                                                     note=data.validated_data.get("note", ""))
        reports = (MonthlyReport.objects.filter(pk__in=[r.pk for r in reports])
                   .select_related("unit", "generated_by").order_by("unit__path"))
        return Response(MonthlyReportSerializer(reports, many=True).data, status=status.HTTP_201_CREATED)
