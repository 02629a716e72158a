"""The API of dropouts/: /api/v1/dropouts/ — the dropout cases the caller may see (list, and one
case with its steps), confirming a pupil's dropout, logging a step of the return procedure (a
home visit with its photos, the written notice, the referral), the return into a class, and a
school's suspected list. The pages' services and selectors: outside the caller's scope 404, in
scope without the role 403, refused by a rule 400 with the reason in Chinese."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from dropouts import ledgers, selectors, services
from dropouts.photos import check_photos
from dropouts.serializers import (
    DropoutCaseDetailSerializer,
    DropoutCaseQuerySerializer,
    DropoutCaseSerializer,
    DropoutConfirmSerializer,
    DropoutReturnSerializer,
    DropoutStepAddSerializer,
    DropoutStepSerializer,
    DropoutSuspectQuerySerializer,
    DropoutSuspectSerializer,
    LedgerQuerySerializer,
    LedgerRowSerializer,
)
from xueji.accounts.permissions import NotAllowed
from xueji.pupils.models import SchoolClass
from xueji.pupils.scoping import get_pupil_for_user


class LedgerPagination(PageNumberPagination):
    """A ledger is a list of rows read in Python (three ledgers, one layout): plain paging."""

    page_size = 100


class DropoutCaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """辍学劝返: the cases of the caller's school (registrar, headmaster) or area (central school,
    bureaus), newest first."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        query = DropoutCaseQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        cases = selectors.cases_visible_to(self.request.user).select_related(
            "pupil__school", "pupil__school_class", "school", "confirmed_by"
        )
        if query.validated_data.get("status"):
            cases = cases.filter(status=query.validated_data["status"])
        if query.validated_data.get("school"):
            cases = cases.filter(school_id=query.validated_data["school"])
        return cases.order_by("-opened_on", "-id")

    def get_serializer_class(self):
        return DropoutCaseDetailSerializer if self.action == "retrieve" else DropoutCaseSerializer

    def get_object(self):
        return selectors.get_case_for_user(self.request.user, self.kwargs["pk"])

    def _detail(self, case_id: int) -> dict:
        case = selectors.get_case_for_user(self.request.user, case_id)
        return DropoutCaseDetailSerializer(case, context={"request": self.request}).data

    @extend_schema(parameters=[DropoutCaseQuerySerializer], summary="可查看的辍学劝返记录")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="一条辍学劝返记录及其全部劝返步骤")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=DropoutConfirmSerializer, responses={201: DropoutCaseDetailSerializer},
                   summary="本校学籍管理员确认学生辍学（学籍保留，即时报告教育局）")
    def create(self, request):
        data = DropoutConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        pupil = get_pupil_for_user(request.user, values.pop("pupil"))
        case = services.confirm_dropout(actor=request.user, pupil=pupil, **values)
        return Response(self._detail(case.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=DropoutStepAddSerializer, responses={201: DropoutStepSerializer},
                   summary="记录劝返步骤：家访（可附照片）、送达劝返复学通知书、报乡镇政府（街道办）")
    @action(detail=True, methods=["post"], url_path="steps", url_name="steps")
    def steps(self, request, pk=None):
        case = self.get_object()
        # The role first: someone who may not log steps learns that, not what a step needs.
        if not selectors.may_log_steps(request.user, case):
            raise NotAllowed("只有本校学籍管理员或校长可以记录劝返步骤。")
        data = DropoutStepAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["photos"] = check_photos(values.get("photos", []))
        step = services.add_step(actor=request.user, case=case, **values)
        return Response(DropoutStepSerializer(step, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DropoutReturnSerializer, responses={200: DropoutCaseDetailSerializer},
                   summary="复学：学生编入本校不低于原年级的班级，劝返结案")
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_to_school(self, request, pk=None):
        case = self.get_object()
        if not selectors.may_close(request.user, case):
            raise NotAllowed("只有本校学籍管理员可以办理复学。")
        data = DropoutReturnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        school_class = SchoolClass.objects.filter(
            pk=data.validated_data["school_class"], school_id=case.school_id
        ).first()
        if school_class is None:
            raise ValidationError({"school_class": "请选择本校的班级。"})
        services.close_returned(actor=request.user, case=case, school_class=school_class)
        return Response(self._detail(case.pk))

    @extend_schema(parameters=[DropoutSuspectQuerySerializer], responses={200: DropoutSuspectSerializer(many=True)},
                   summary="学校的疑似辍学名单（连续10个教学日无故缺课）")
    @action(detail=False, methods=["get"], url_path="suspected", url_name="suspected", pagination_class=None)
    def suspected(self, request):
        query = DropoutSuspectQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        school_id = query.validated_data.get("school")
        if school_id is None:
            schools = selectors.dropout_schools_of(request.user)
            if len(schools) != 1:
                raise ValidationError({"school": "请指定学校。"})
            school_id = schools[0].pk
        school = selectors.get_school_for_suspects(request.user, school_id)
        suspects = services.suspected_dropouts(school=school, today=timezone.localdate())
        return Response(DropoutSuspectSerializer(suspects, many=True, context={"request": request}).data)

    @extend_schema(parameters=[LedgerQuerySerializer], responses={200: LedgerRowSerializer(many=True)},
                   summary="控辍保学台账：适龄未入学（not_enrolled）、疑似辍学（suspected）、辍学（dropout）")
    @action(detail=False, methods=["get"], url_path="ledgers", url_name="ledgers", pagination_class=LedgerPagination)
    def ledger_list(self, request):
        """The rows of one ledger the caller sees: a school its own, a central school or a bureau
        its schools'; township and school first. Each read is audited."""
        if not selectors.keeps_ledgers(request.user):
            raise NotAllowed("只有学校学籍管理员、校长和中心校、教育局的学籍管理员可以查看控辍保学台账。")
        query = LedgerQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        schools = None
        if values.get("school"):
            schools = [selectors.get_school_for_suspects(request.user, values["school"])]
        rows = ledgers.ledger_rows(request.user, values["kind"], timezone.localdate(), schools=schools,
                                   open_only=values.get("state", "open") == "open")
        ledgers.audit_ledger_read(request.user, values["kind"], len(rows), "API")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(LedgerRowSerializer(page, many=True).data)
