"""Serializers of the dropouts API (dropouts/api.py): plain shapes; the rules are the services'.

Choice values go out as strings with their Chinese label beside them (``status`` and
``status_label``), as the other APIs do."""

from datetime import date

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dropouts import services
from dropouts.models import CaseStep, DropoutCase, LedgerKind, VisitPhoto
from xueji.accounts.scoping import MAX_ID
from xueji.codes import GRADE_LABELS, nationality_label
from xueji.pupils.visibility import visibility_for

_ID = {"min_value": 1, "max_value": MAX_ID}
MANUAL_STEP_CHOICES = [(kind.value, kind.label) for kind in CaseStep.Kind if kind in services.MANUAL_STEPS]


def _choices_help(choices) -> str:
    return "；".join(f"{value}：{label}" for value, label in choices)


class DropoutCasePupilSerializer(serializers.Serializer):
    """The pupil of a case: who it is, not the whole record (that is /api/v1/pupils/{id}/). The
    学籍号 is masked for those who see the ID number masked (a G number is "G" + the ID number;
    xueji.pupils.visibility)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    gender = serializers.CharField(source="get_gender_display")
    birth_date = serializers.DateField()
    grade = serializers.IntegerField()
    grade_label = serializers.SerializerMethodField()
    class_name = serializers.SerializerMethodField()
    student_number = serializers.SerializerMethodField()

    def get_grade_label(self, pupil) -> str:
        return GRADE_LABELS.get(pupil.grade, "")

    def get_class_name(self, pupil) -> str:
        return pupil.school_class.name if pupil.school_class_id else ""

    def get_student_number(self, pupil) -> str:
        return visibility_for(self.context["request"].user, pupil).student_number(pupil.student_number)


class DropoutPhotoSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name")
    url = serializers.SerializerMethodField(help_text="照片地址（登录后按权限提供）")

    class Meta:
        model = VisitPhoto
        fields = ["id", "name", "content_type", "size", "uploaded_at", "url"]

    def get_url(self, photo) -> str:
        return reverse("dropouts:dropout_photo", args=[photo.pk])


class DropoutStepSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text=_choices_help(CaseStep.Kind.choices))
    kind_label = serializers.CharField(source="get_kind_display")
    by_name = serializers.SerializerMethodField()
    photos = DropoutPhotoSerializer(many=True, read_only=True)
    notice_pdf = serializers.SerializerMethodField(help_text="劝返复学通知书 PDF 的地址（仅送达通知书的步骤）")

    class Meta:
        model = CaseStep
        fields = ["id", "kind", "kind_label", "day", "by_name", "text", "visitors", "outcome", "deadline",
                  "referred_to", "photos", "notice_pdf", "created_at"]

    def get_by_name(self, step) -> str:
        if step.by is None:
            return "系统"
        return step.by.full_name or step.by.username

    def get_notice_pdf(self, step) -> str | None:
        if step.kind != CaseStep.Kind.NOTICE:
            return None
        return f"{reverse('dropouts:dropout_notice_pdf', args=[step.case_id])}?step={step.pk}"


class DropoutCaseSerializer(serializers.ModelSerializer):
    pupil = DropoutCasePupilSerializer(read_only=True)
    school_name = serializers.CharField(source="school.name")
    ground = serializers.CharField(help_text=_choices_help(DropoutCase.Ground.choices))
    ground_label = serializers.CharField(source="get_ground_display")
    country_label = serializers.SerializerMethodField()
    status = serializers.CharField(help_text=_choices_help(DropoutCase.Status.choices))
    status_label = serializers.CharField(source="get_status_display")
    confirmed_by_name = serializers.SerializerMethodField()
    sixteenth_birthday = serializers.SerializerMethodField(help_text="年满16周岁的日期：劝返程序至迟到此结束")

    class Meta:
        model = DropoutCase
        fields = ["id", "pupil", "school", "school_name", "ground", "ground_label", "ground_note", "country",
                  "country_label", "left_on", "contacts_tried", "opened_on", "confirmed_by_name", "status",
                  "status_label", "closed_on", "sixteenth_birthday"]

    def get_country_label(self, case) -> str:
        return nationality_label(case.country) if case.country else ""

    def get_confirmed_by_name(self, case) -> str:
        return case.confirmed_by.full_name or case.confirmed_by.username

    def get_sixteenth_birthday(self, case) -> date:
        return services.sixteenth_birthday(case.pupil)


class DropoutCaseDetailSerializer(DropoutCaseSerializer):
    steps = serializers.SerializerMethodField()

    class Meta(DropoutCaseSerializer.Meta):
        fields = DropoutCaseSerializer.Meta.fields + ["steps"]

    @extend_schema_field(DropoutStepSerializer(many=True))
    def get_steps(self, case):
        steps = case.steps.select_related("by").prefetch_related("photos").order_by("day", "id")
        return DropoutStepSerializer(steps, many=True, context=self.context).data


class DropoutCaseQuerySerializer(serializers.Serializer):
    """The list's query parameters, validated (a bad value is a 400 with the reason)."""

    status = serializers.ChoiceField(required=False, choices=DropoutCase.Status.choices, help_text="劝返状态")
    school = serializers.IntegerField(required=False, help_text="学校", **_ID)


class DropoutConfirmSerializer(serializers.Serializer):
    pupil = serializers.IntegerField(**_ID)
    ground = serializers.ChoiceField(choices=DropoutCase.Ground.choices, help_text="辍学情形")
    ground_note = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="情形说明（“其他”必填）")
    country = serializers.CharField(required=False, allow_blank=True, max_length=3,
                                    help_text="出境未向学校申请：前往国家（地区），GB/T 2659 三位字母代码，如 KOR")
    left_on = serializers.DateField(required=False, allow_null=True, help_text="出境未向学校申请：出境日期")
    # Blank is left to the service, which says what the school must write.
    contacts_tried = serializers.CharField(allow_blank=True, max_length=2000,
                                           help_text="学校多次联系监护人要求复学的时间、方式和结果")


class DropoutStepAddSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MANUAL_STEP_CHOICES, help_text="劝返步骤")
    day = serializers.DateField(help_text="日期（不晚于今天）")
    visitors = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="家访人员（家访必填）")
    outcome = serializers.CharField(required=False, allow_blank=True, max_length=2000, help_text="家访结果（家访必填）")
    deadline = serializers.DateField(required=False, allow_null=True, help_text="限期复学日期（通知书必填）")
    referred_to = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                        help_text="移交的乡镇政府或街道办（报乡镇政府必填）")
    text = serializers.CharField(required=False, allow_blank=True, max_length=2000, help_text="情况及采取的措施")
    photos = serializers.ListField(child=serializers.FileField(), required=False,
                                   help_text="家访照片：JPG 或 PNG，每张不超过 2 MB，最多 10 张（multipart）")


class DropoutReturnSerializer(serializers.Serializer):
    school_class = serializers.IntegerField(help_text="编入的本校班级（不低于原年级）", **_ID)


class DropoutSuspectQuerySerializer(serializers.Serializer):
    school = serializers.IntegerField(required=False, help_text="学校；只管一所学校的学校用户可不填", **_ID)


class DropoutSuspectSerializer(serializers.Serializer):
    pupil = DropoutCasePupilSerializer()
    first_day = serializers.DateField(help_text="连续无故缺课的第一天")
    last_day = serializers.DateField(help_text="最近一天")
    days = serializers.IntegerField(help_text="连续无故缺课的教学日数")


class LedgerQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(k, label) for k, label in LedgerKind.choices],
                                   help_text="台账：" + _choices_help(LedgerKind.choices))
    school = serializers.IntegerField(required=False, help_text="只看一所学校", **_ID)
    state = serializers.ChoiceField(required=False, choices=[("open", "未销号"), ("all", "全部（含已销号）")],
                                    help_text="open：未销号（默认）；all：全部")


class LedgerAttemptSerializer(serializers.Serializer):
    day = serializers.DateField()
    what = serializers.CharField(help_text="劝返方式或步骤")
    result = serializers.CharField(help_text="结果")


class LedgerRowSerializer(serializers.Serializer):
    """A row of a ledger, in the ledger layout (dropouts/ledgers.py LedgerRow). ``id`` is the
    ledger row's (适龄未入学, 疑似辍学) or the dropout case's (辍学, /api/v1/dropouts/{id}/)."""

    kind = serializers.CharField()
    kind_label = serializers.CharField()
    id = serializers.IntegerField()
    school = serializers.IntegerField(source="school.pk")
    school_name = serializers.CharField(source="school.name")
    township = serializers.CharField()
    name = serializers.CharField()
    gender = serializers.CharField()
    birth_date = serializers.DateField()
    student_number = serializers.CharField(help_text="学籍号（按查看者的权限遮蔽；适龄未入学儿童没有学籍号）")
    class_name = serializers.CharField()
    reason = serializers.CharField()
    opened_on = serializers.DateField(help_text="登记日期")
    closed_on = serializers.DateField(allow_null=True, help_text="销号日期")
    result = serializers.CharField(help_text="劝返结果或销号原因")
    days_open = serializers.IntegerField(help_text="登记至今（或至销号）的天数")
    open_too_long = serializers.BooleanField(help_text="未销号超过30天")
    attempts = LedgerAttemptSerializer(many=True)
