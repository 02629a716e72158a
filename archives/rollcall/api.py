"""The API of 学籍核查 (archives/rollcall/services.py): /api/v1/rollcalls/ — the roll-calls the caller sees,
opening a class's (POST), submitting, reopening, and the progress by school; and
/api/v1/rollcall-entries/ — the lines: marking one (PATCH), adding a child on no list (POST),
removing one (DELETE), saying its work is done (handle/). Scoped as the pages: outside the
caller's scope 404, in scope without the part 403, refused by a rule 400 with the reason.

Choice values go out as strings with their Chinese label beside them, as the other APIs do."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from archives.rollcall import services as rollcall
from archives.rollcall.models import RollCall, RollCallEntry
from xueji.accounts.permissions import NotAllowed
from xueji.accounts.scoping import MAX_ID
from xueji.pupils.scoping import get_class_for_user


def _choices_help(choices) -> str:
    return "；".join(f"{value}：{label}" for value, label in choices)


class RollCallEntrySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text=_choices_help(RollCallEntry.Kind.choices))
    kind_label = serializers.CharField(source="get_kind_display")
    reason = serializers.CharField(help_text=_choices_help(RollCallEntry.Reason.choices))
    reason_label = serializers.CharField(source="get_reason_display")
    outcome = serializers.CharField(help_text="提交后产生的待办（空为无）：" + _choices_help(RollCallEntry.Outcome.choices))
    outcome_label = serializers.CharField(source="get_outcome_display")
    home_school_name = serializers.CharField(source="home_school.name", allow_null=True, default=None)

    class Meta:
        model = RollCallEntry
        fields = ["id", "roll_call", "kind", "kind_label", "pupil", "name", "home_school", "home_school_name", "present",
                  "reason", "reason_label", "note", "marked_at", "outcome", "outcome_label", "absence_recorded",
                  "handled_at", "handled_note"]


class RollCallSerializer(serializers.ModelSerializer):
    semester_label = serializers.CharField(source="semester.__str__")
    school_name = serializers.CharField(source="school.name")
    class_name = serializers.CharField(source="school_class.name")
    roll_status = serializers.CharField(source="status", help_text=_choices_help(RollCall.Status.choices))
    roll_status_label = serializers.CharField(source="get_status_display")

    class Meta:
        model = RollCall
        fields = ["id", "semester", "semester_label", "school", "school_name", "school_class", "class_name", "roll_status",
                  "roll_status_label", "started_at", "held_on", "finished_at"]


class RollCallDetailSerializer(RollCallSerializer):
    entries = serializers.SerializerMethodField()

    class Meta(RollCallSerializer.Meta):
        fields = [*RollCallSerializer.Meta.fields, "entries"]

    @extend_schema_field(RollCallEntrySerializer(many=True))
    def get_entries(self, roll_call):
        return RollCallEntrySerializer(roll_call.entries.select_related("home_school"), many=True).data


class RollCallQuerySerializer(serializers.Serializer):
    semester = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    school = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    school_class = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class RollCallOpenSerializer(serializers.Serializer):
    school_class = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="班级；学期为当前学期")


class RollCallProgressQuerySerializer(serializers.Serializer):
    semester = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="不传为当前学期")


class RollCallProgressSerializer(serializers.Serializer):
    school = serializers.IntegerField(source="school.pk")
    school_name = serializers.CharField(source="school.name")
    classes = serializers.SerializerMethodField()
    done = serializers.IntegerField(help_text="已提交核查的班级")
    open = serializers.IntegerField(help_text="进行中的班级")
    not_started = serializers.IntegerField(help_text="未开始的班级")
    late_registration = serializers.SerializerMethodField(help_text="待补建学籍（名单外）")
    suspected_dropouts = serializers.SerializerMethodField(help_text="无故缺席、未处理")
    transfers_to_chase = serializers.SerializerMethodField(help_text="已迁走未办转学、未处理")

    def get_classes(self, row) -> int:
        return len(row.classes)

    def get_late_registration(self, row) -> int:
        return row.work.get(RollCallEntry.Outcome.LATE_REGISTRATION, 0)

    def get_suspected_dropouts(self, row) -> int:
        return row.work.get(RollCallEntry.Outcome.DROPOUT, 0)

    def get_transfers_to_chase(self, row) -> int:
        return row.work.get(RollCallEntry.Outcome.TRANSFER, 0)


class RollCallEntryQuerySerializer(serializers.Serializer):
    roll_call = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    outcome = serializers.CharField(required=False, help_text=_choices_help(RollCallEntry.Outcome.choices))
    open_work = serializers.BooleanField(required=False, help_text="true：只列出尚未处理的待办")


class RollCallEntryMarkSerializer(serializers.Serializer):
    present = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="缺席时必填：" + _choices_help(RollCallEntry.Reason.choices))
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=rollcall.NOTE_MAX)


class RollCallUnlistedAddSerializer(serializers.Serializer):
    roll_call = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    name = serializers.CharField(max_length=rollcall.NAME_MAX)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=rollcall.NOTE_MAX)


class RollCallHandleSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=rollcall.NOTE_MAX, help_text="处理情况")


class RollCallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """学籍核查：各班每学期一次的点名核查。"""

    queryset = RollCall.objects.none()  # for the schema; get_queryset scopes

    def get_queryset(self):
        query = RollCallQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        calls = rollcall.rollcalls_visible_to(self.request.user).select_related("semester__school_year", "school", "school_class")
        for name in ("semester", "school", "school_class"):
            if query.validated_data.get(name):
                calls = calls.filter(**{f"{name}_id": query.validated_data[name]})
        return calls.order_by("-semester__start_date", "school__path", "school_class__grade", "school_class__number", "id")

    def get_serializer_class(self):
        return RollCallSerializer if self.action == "list" else RollCallDetailSerializer

    def get_object(self):
        return rollcall.get_rollcall_for_user(self.request.user, self.kwargs["pk"])

    def _detail(self, roll_call: RollCall, code=status.HTTP_200_OK) -> Response:
        return Response(RollCallDetailSerializer(rollcall.get_rollcall_for_user(self.request.user, roll_call.pk)).data, status=code)

    @extend_schema(parameters=[RollCallQuerySerializer], summary="可查看的学籍核查（班级点名）")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="一个班的学籍核查及全部点名记录")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=RollCallOpenSerializer, responses={201: RollCallDetailSerializer},
                   summary="班主任开始本班本学期的点名核查（已开始的返回原记录；只在开学后第一个月）")
    def create(self, request):
        data = RollCallOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        school_class = get_class_for_user(request.user, data.validated_data["school_class"])
        roll_call = rollcall.rollcall_open(actor=request.user, school_class=school_class)
        return self._detail(roll_call, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: RollCallDetailSerializer},
                   summary="提交核查结果：名单外转补建，无故缺席记入缺课，借读生通知原学校")
    @action(detail=True, methods=["post"], url_path="finish", url_name="finish")
    def finish(self, request, pk=None):
        roll_call = rollcall.rollcall_finish(actor=request.user, roll_call=self.get_object())
        return self._detail(roll_call)

    @extend_schema(request=None, responses={200: RollCallDetailSerializer}, summary="学籍管理员退回已提交的核查，班主任重新点名")
    @action(detail=True, methods=["post"], url_path="reopen", url_name="reopen")
    def reopen(self, request, pk=None):
        roll_call = rollcall.rollcall_reopen(actor=request.user, roll_call=self.get_object())
        return self._detail(roll_call)

    @extend_schema(parameters=[RollCallProgressQuerySerializer], responses={200: RollCallProgressSerializer(many=True)},
                   summary="核查进度：可查看的各校已完成、进行中、未开始的班级数和待办")
    @action(detail=False, methods=["get"], url_path="progress", url_name="progress", pagination_class=None)
    def progress(self, request):
        query = RollCallProgressQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        semester, _unknown = rollcall.semester_chosen(query.validated_data.get("semester"), timezone.localdate())
        if semester is None:
            raise ValidationError({"semester": "没有这个学期。"})
        schools = list(rollcall.rollcall_schools_visible_to(request.user).order_by("path"))
        return Response(RollCallProgressSerializer(rollcall.progress(schools, semester), many=True).data)


class RollCallEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """点名记录：在册学生、借读生和名单外学生，以及提交后产生的待办。"""

    serializer_class = RollCallEntrySerializer
    queryset = RollCallEntry.objects.none()  # for the schema; get_queryset scopes

    def get_queryset(self):
        query = RollCallEntryQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        entries = rollcall.entries_visible_to(self.request.user).select_related("home_school")
        if values.get("roll_call"):
            entries = entries.filter(roll_call_id=values["roll_call"])
        if values.get("outcome"):
            entries = entries.filter(outcome=values["outcome"], roll_call__status=RollCall.Status.DONE)
        if values.get("open_work"):
            entries = entries.exclude(outcome="").filter(handled_at__isnull=True, roll_call__status=RollCall.Status.DONE)
        return entries.order_by("roll_call_id", "kind", "name", "id")

    def get_object(self):
        return rollcall.get_entry_for_user(self.request.user, self.kwargs["pk"])

    @extend_schema(parameters=[RollCallEntryQuerySerializer], summary="可查看的点名记录和待办")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="一条点名记录")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=RollCallUnlistedAddSerializer, responses={201: RollCallEntrySerializer},
                   summary="添加名单外学生（在班上、学籍名单上没有）")
    def create(self, request):
        data = RollCallUnlistedAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        roll_call = rollcall.get_rollcall_for_user(request.user, data.validated_data["roll_call"])
        entry = rollcall.rollcall_unlisted_add(actor=request.user, roll_call=roll_call, name=data.validated_data["name"],
                                               note=data.validated_data["note"])
        return Response(RollCallEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RollCallEntryMarkSerializer, responses={200: RollCallEntrySerializer},
                   summary="点名：在校，或缺席并选择原因")
    def partial_update(self, request, pk=None):
        entry = self.get_object()
        data = RollCallEntryMarkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        rollcall.rollcall_entries_mark(actor=request.user, roll_call=entry.roll_call, marks=[
            rollcall.EntryMark(entry.pk, values["present"], values["reason"], values["note"])])
        return Response(RollCallEntrySerializer(self.get_object()).data)

    @extend_schema(responses={204: None}, summary="删除名单外学生（登记有误时）")
    def destroy(self, request, pk=None):
        rollcall.rollcall_unlisted_remove(actor=request.user, entry=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=RollCallHandleSerializer, responses={200: RollCallEntrySerializer},
                   summary="待办已处理：学籍管理员写明处理情况；借读生由学籍所在学校确认")
    @action(detail=True, methods=["post"], url_path="handle", url_name="handle")
    def handle(self, request, pk=None):
        entry = self.get_object()
        # The part first: someone who may not handle the line learns that, not what a note needs.
        if not rollcall.may_handle(request.user, entry):
            raise NotAllowed("只有负责处理的学校的学籍管理员可以办理。")
        data = RollCallHandleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = rollcall.rollcall_entry_handle(actor=request.user, entry=entry, note=data.validated_data["note"])
        return Response(RollCallEntrySerializer(rollcall.get_entry_for_user(request.user, entry.pk)).data)
