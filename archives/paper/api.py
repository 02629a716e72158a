"""The API of the paper archive: /api/v1/archive-checklists/ — each pupil's checklist (by pupil
id), marking one file (PATCH) or many at once (bulk/), and completeness by school or by class.
Scoped as the pages (archives/paper/services.py): outside the caller's scope 404, marking without being the
school's registrar 403, a rule refused 400 with the reason in Chinese.

Choice values go out as strings with their Chinese label beside them, as the other APIs do."""

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from archives.paper import services as paper
from xueji.accounts.scoping import MAX_ID
from xueji.pupils.models import Pupil
from xueji.pupils.scoping import get_class_for_user

PUPIL_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="学生编号（pupil id）")


def _choices_help(choices) -> str:
    return "；".join(f"{value}：{label}" for value, label in choices)


class ArchiveChecklistItemSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="材料的标识，标记时使用")
    label = serializers.CharField()
    group = serializers.CharField(help_text="基本材料，或所证明的学籍变动")
    state = serializers.CharField(help_text=_choices_help(paper.STATE_LABELS.items()))
    state_label = serializers.CharField()
    marked_at = serializers.DateTimeField(allow_null=True)


class ArchiveChecklistSerializer(serializers.Serializer):
    pupil = serializers.IntegerField(source="pupil.pk")
    pupil_name = serializers.CharField(source="pupil.name")
    school = serializers.IntegerField(source="pupil.school_id")
    school_class = serializers.IntegerField(source="pupil.school_class_id", allow_null=True)
    class_name = serializers.SerializerMethodField()
    box_number = serializers.CharField()
    file_state = serializers.CharField(source="state", help_text=_choices_help(paper.FILE_STATE_LABELS.items()))
    file_state_label = serializers.CharField(source="state_label")
    items = ArchiveChecklistItemSerializer(many=True)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_class_name(self, checklist) -> str | None:
        return checklist.pupil.school_class.name if checklist.pupil.school_class_id else None


class ArchiveChecklistMarkSerializer(serializers.Serializer):
    items = serializers.DictField(child=serializers.BooleanField(), required=False, default=dict,
                                  help_text="材料标识 → true（齐全）或 false（缺失）；未列出的材料不变")
    box_number = serializers.CharField(required=False, allow_blank=True, max_length=paper.BOX_MAX, help_text="档案盒号；不传则不变")


class ArchiveChecklistBulkSerializer(serializers.Serializer):
    school_class = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="全班学生")
    pupils = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False,
                                   help_text="所选学生（同一学校）")
    bulk_action = serializers.CharField(help_text=_choices_help(paper.BULK_ACTIONS.items()))
    box_number = serializers.CharField(required=False, allow_blank=True, max_length=paper.BOX_MAX, default="")

    def validate(self, data):
        if bool(data.get("school_class")) == bool(data.get("pupils")):
            raise serializers.ValidationError({"pupils": "请指定一个班级（school_class）或所选学生（pupils），二者选一。"})
        return data


class ArchiveChecklistBulkResultSerializer(serializers.Serializer):
    files = serializers.IntegerField(help_text="标记的档案份数")


class ArchiveChecklistQuerySerializer(serializers.Serializer):
    school = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    school_class = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    file_state = serializers.CharField(required=False, help_text=_choices_help(paper.FILE_STATE_LABELS.items()) + "（须指定学校或班级）")


class ArchiveCompletenessSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="学校名或班级名")
    school = serializers.IntegerField(source="school.pk", allow_null=True)
    school_class = serializers.IntegerField(source="school_class_id", allow_null=True)
    pupils = serializers.IntegerField()
    complete = serializers.IntegerField(help_text="每项材料均已核对齐全的档案")
    with_missing = serializers.IntegerField(help_text="有材料标记为缺失的档案")
    unchecked = serializers.IntegerField(help_text="尚有材料未核对、无缺失的档案")
    no_box = serializers.IntegerField(help_text="未编档案盒号的档案")
    missing_items = serializers.IntegerField(help_text="标记为缺失的材料项数")
    percent_complete = serializers.IntegerField()


class ArchiveCompletenessQuerySerializer(serializers.Serializer):
    school = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="给出学校时按班级列出")


class ArchiveChecklistViewSet(viewsets.GenericViewSet):
    """纸质学籍档案的核对清单：每名在籍学生一份。"""

    serializer_class = ArchiveChecklistSerializer
    queryset = Pupil.objects.none()  # for the schema: the path's id is a pupil's

    def _schools(self, school_id=None):
        if school_id:
            return [paper.get_paper_school_for_user(self.request.user, school_id)]
        return list(paper.paper_schools_visible_to(self.request.user).order_by("path"))

    @extend_schema(parameters=[ArchiveChecklistQuerySerializer], summary="可查看的学生纸质档案核对清单")
    def list(self, request):
        query = ArchiveChecklistQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        schools = self._schools(values.get("school"))
        pupils = Pupil.objects.filter(school__in=schools, status__in=paper.ON_ROLL, deleted_at__isnull=True)
        if values.get("school_class"):
            school_class = get_class_for_user(request.user, values["school_class"])
            pupils = pupils.filter(school_class=school_class)
        pupils = pupils.select_related("school", "school_class").order_by("school__path", "grade", "school_class__number", "name_sort", "name", "id")
        state = values.get("file_state")
        if state:
            if state not in paper.FILE_STATE_LABELS:
                raise ValidationError({"file_state": "没有这种档案状态。"})
            if not values.get("school_class") and len(schools) != 1:
                raise ValidationError({"file_state": "按档案状态筛选时，请指定学校或班级。"})
            # The state is known only once each file's checklist is built: filter, then page the rows.
            pupils = pupils.filter(pk__in=[c.pupil.pk for c in paper.checklists_for(list(pupils)) if c.state == state])
        page = paper.checklists_for(list(self.paginate_queryset(pupils)))
        return self.get_paginated_response(ArchiveChecklistSerializer(page, many=True).data)

    @extend_schema(parameters=[PUPIL_ID], summary="一名学生的纸质档案核对清单")
    def retrieve(self, request, pk=None):
        pupil = paper.get_paper_pupil_for_user(request.user, pk)
        return Response(ArchiveChecklistSerializer(paper.checklists_for([pupil])[0]).data)

    @extend_schema(parameters=[PUPIL_ID], request=ArchiveChecklistMarkSerializer, responses={200: ArchiveChecklistSerializer},
                   summary="本校学籍管理员标记一名学生档案中的材料齐全或缺失、档案盒号")
    def partial_update(self, request, pk=None):
        pupil = paper.get_paper_pupil_for_user(request.user, pk)
        data = ArchiveChecklistMarkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        checklist = paper.paper_checklist_mark(actor=request.user, pupil=pupil, marks=data.validated_data["items"],
                                               box_number=data.validated_data.get("box_number"))
        return Response(ArchiveChecklistSerializer(checklist).data)

    @extend_schema(request=ArchiveChecklistBulkSerializer, responses={200: ArchiveChecklistBulkResultSerializer},
                   summary="批量标记：全班或所选学生的档案一次标记")
    @action(detail=False, methods=["post"], url_path="bulk", url_name="bulk")
    def bulk(self, request):
        data = ArchiveChecklistBulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values.get("school_class"):
            school_class = get_class_for_user(request.user, values["school_class"])
            school = paper.get_paper_school_for_user(request.user, school_class.school_id)
            ids = list(paper.pupils_on_roll(school).filter(school_class=school_class).values_list("pk", flat=True))
        else:
            school_id = Pupil.objects.filter(pk__in=values["pupils"]).values_list("school_id", flat=True).first()
            if school_id is None:
                raise ValidationError({"pupils": "所选学生中有不在本校学籍中的学生。"})
            # A school outside the caller's scope is a 404, as everywhere; mixed schools are refused by the service.
            school = paper.get_paper_school_for_user(request.user, school_id)
            ids = values["pupils"]
        count = paper.paper_checklists_mark_bulk(actor=request.user, school=school, pupil_ids=ids,
                                                 action=values["bulk_action"], box_number=values["box_number"])
        return Response({"files": count})

    @extend_schema(parameters=[ArchiveCompletenessQuerySerializer], responses={200: ArchiveCompletenessSerializer(many=True)},
                   summary="档案完整情况：各校（教育局、中心校），或指定学校的各班")
    @action(detail=False, methods=["get"], url_path="completeness", url_name="completeness", pagination_class=None)
    def completeness(self, request):
        query = ArchiveCompletenessQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        school_id = query.validated_data.get("school")
        if school_id:
            school = paper.get_paper_school_for_user(request.user, school_id)
            total, classes, _lacking = paper.school_completeness(school)
            total.label = school.name
            rows = [total, *classes]
        else:
            rows = paper.schools_completeness(request.user)
        return Response(ArchiveCompletenessSerializer(rows, many=True).data)
