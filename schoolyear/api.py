"""The API of schoolyear/ under /api/v1/: graduation (the countdown, a school's graduating grade,
graduating it), the promotion plan (next year's classes and the mapping), promotion runs (their
reports, starting one), certificates (a school's graduates with their numbers, numbering them).

The pages' selectors and services: a school outside the caller's scope 404, in scope without the
role 403 (head teachers; a headmaster or an officer asking to do the registrar's part), refused
by a rule 400 with the reason in Chinese."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from schoolyear import selectors, services
from schoolyear.dates import school_year_start
from schoolyear.serializers import (
    CertificateAssignSerializer,
    CertificateBatchSerializer,
    CertificateGraduateSerializer,
    CertificateQuerySerializer,
    GraduateSerializer,
    GraduationRecordSerializer,
    GraduationRowSerializer,
    GraduationStateSerializer,
    MappingSerializer,
    PlanSchoolSerializer,
    PromotionPlanSerializer,
    PromotionRunDetailSerializer,
    PromotionRunSerializer,
    PromotionRunStartSerializer,
)
from xueji.accounts.permissions import NotAllowed, require_registrar
from xueji.accounts.scoping import NotInScope, object_id


def _require_follower(user) -> None:
    if not selectors.follows_any_school(user):
        raise NotAllowed("您的角色不办理毕业、升级和证书。")


def _registrar_school(request, pk):
    school = selectors.get_followed_school(request.user, pk)
    require_registrar(request.user, school, message="只有本校学籍管理员可以办理。")
    return school


def _this_year():
    today = timezone.localdate()
    return today, school_year_start(today)


class GraduationViewSet(viewsets.ViewSet):
    """毕业: the graduating grades of the schools the caller follows."""

    lookup_value_converter = "int"

    @extend_schema(responses=GraduationRowSerializer(many=True), summary="毕业倒计时：各校毕业年级的待办业务和剩余天数")
    def list(self, request):
        _require_follower(request.user)
        today, start_year = _this_year()
        rows = selectors.graduation_rows(request.user, today, start_year)
        return Response(GraduationRowSerializer(rows, many=True, context={"request": request}).data)

    @extend_schema(responses=GraduationStateSerializer, summary="一所学校的毕业年级：待毕业、不办理毕业、未办结申请、已办理")
    def retrieve(self, request, pk=None):
        school = selectors.get_followed_school(request.user, pk)
        today, start_year = _this_year()
        state = selectors.graduation_state(school, today, start_year)
        return Response(GraduationStateSerializer(state, context={"request": request}).data)

    @extend_schema(request=GraduateSerializer, responses={201: GraduationRecordSerializer},
                   summary="本校学籍管理员为毕业年级的在籍在校学生办理毕业")
    @action(detail=True, methods=["post"], url_path="graduate", url_name="graduate")
    def graduate(self, request, pk=None):
        school = _registrar_school(request, pk)
        data = GraduateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        graduation = services.graduation_perform(
            actor=request.user, school=school, expected_count=data.validated_data.get("expected_count")
        )
        return Response(GraduationRecordSerializer(graduation).data, status=status.HTTP_201_CREATED)


class PromotionPlanViewSet(viewsets.ViewSet):
    """升级计划: this year's classes of a school and the class of next year each moves into."""

    lookup_value_converter = "int"

    @extend_schema(responses=PlanSchoolSerializer(many=True), summary="可查看升级计划的学校")
    def list(self, request):
        _require_follower(request.user)
        schools = selectors.schools_followed_by(request.user).order_by("path", "name")
        return Response(PlanSchoolSerializer([{"id": s.pk, "name": s.name} for s in schools], many=True).data)

    @extend_schema(responses=PromotionPlanSerializer, summary="一所学校的升级计划：今年各班升入明年的哪个班")
    def retrieve(self, request, pk=None):
        school = selectors.get_followed_school(request.user, pk)
        _today, start_year = _this_year()
        return Response(PromotionPlanSerializer(selectors.promotion_plan(school, start_year)).data)

    @extend_schema(request=MappingSerializer, responses=PromotionPlanSerializer,
                   summary="本校学籍管理员设置升级班级对应（to_class 为空：相同班号）")
    @action(detail=True, methods=["post"], url_path="mapping", url_name="mapping")
    def mapping(self, request, pk=None):
        school = _registrar_school(request, pk)
        data = MappingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _today, start_year = _this_year()
        targets = {item["from_class"]: item["to_class"] for item in data.validated_data["mappings"]}
        services.class_mappings_set(actor=request.user, school=school, start_year=start_year, targets=targets)
        return Response(PromotionPlanSerializer(selectors.promotion_plan(school, start_year)).data)

    @extend_schema(request=None, responses=PromotionPlanSerializer,
                   summary="本校学籍管理员按今年的班号建好明年的班级")
    @action(detail=True, methods=["post"], url_path="prepare", url_name="prepare")
    def prepare(self, request, pk=None):
        school = _registrar_school(request, pk)
        _today, start_year = _this_year()
        services.next_year_classes_prepare(actor=request.user, school=school, start_year=start_year)
        return Response(PromotionPlanSerializer(selectors.promotion_plan(school, start_year)).data)


class PromotionRunViewSet(viewsets.ViewSet):
    """升级记录: the runs of the bureaus the caller follows, each with its report per school."""

    lookup_value_converter = "int"

    @extend_schema(responses=PromotionRunSerializer(many=True), summary="升级记录")
    def list(self, request):
        runs = selectors.runs_visible_to(request.user).select_related("bureau").order_by("-year", "bureau__path")[:200]
        return Response(PromotionRunSerializer(runs, many=True).data)

    @extend_schema(responses=PromotionRunDetailSerializer, summary="一次升级的报告：各校升级人数")
    def retrieve(self, request, pk=None):
        run = selectors.get_run_for_user(request.user, pk)
        rows = selectors.run_school_rows(request.user, run)
        return Response(PromotionRunDetailSerializer(run, context={"rows": rows}).data)

    @extend_schema(request=PromotionRunStartSerializer, responses={202: PromotionRunSerializer},
                   summary="教育局执行（或继续执行）本年度升级：升级日期起至 8 月底")
    def create(self, request):
        bureaus = {b.pk: b for b in selectors.promotion_bureaus_of(request.user)}
        if not bureaus:
            raise NotAllowed("只有教育局可以执行升级。")
        data = PromotionRunStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bureau = bureaus.get(data.validated_data.get("bureau") or next(iter(bureaus)))
        if bureau is None:
            raise NotInScope("没有找到这个教育局，或您无权为它执行升级。", what="unit",
                             object_id=data.validated_data.get("bureau"))
        run = services.promotion_run_request(actor=request.user, bureau=bureau)
        return Response(PromotionRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class CertificateViewSet(viewsets.ViewSet):
    """义务教育证书: a school's graduates of a school year with their numbers."""

    lookup_value_converter = "int"

    @extend_schema(parameters=[CertificateQuerySerializer], responses=CertificateGraduateSerializer(many=True),
                   summary="一所学校某学年的毕业生及其义务教育证书编号")
    def list(self, request):
        query = CertificateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        school = selectors.get_followed_school(request.user, query.validated_data["school"])
        graduates = selectors.graduates_of(school, query.validated_data["year"])
        return Response(CertificateGraduateSerializer(graduates, many=True, context={"request": request}).data)

    @extend_schema(request=CertificateAssignSerializer, responses={201: CertificateBatchSerializer},
                   summary="教育局为一所学校某学年未编号的毕业生连续编号（前缀 + 流水号）")
    @action(detail=False, methods=["post"], url_path="assign", url_name="assign")
    def assign(self, request):
        data = CertificateAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        school = selectors.get_followed_school(request.user, object_id(values["school"]))
        if not selectors.may_issue_certificates(request.user, school):
            raise NotAllowed("只有学校所属教育局可以编号义务教育证书。")
        batch = services.certificates_assign(
            actor=request.user, school=school, start_year=values["year"],
            plan=services.NumberPlan(values["prefix"], values["first_sequence"], values["width"]),
        )
        return Response(CertificateBatchSerializer(batch).data, status=status.HTTP_201_CREATED)
