"""Serializers of schoolyear/'s API. Pupils appear with their 学籍号 as the caller sees them
(masked for those who see records masked: a G number holds the ID number)."""

from rest_framework import serializers

from schoolyear.models import PromotionRun, PromotionSchool
from xueji.identity import mask_student_number
from xueji.pupils.visibility import sees_full_record


def student_number_for(user, pupil) -> str:
    return pupil.student_number if sees_full_record(user, pupil) else mask_student_number(pupil.student_number)


class PupilBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    school_class = serializers.SerializerMethodField()
    student_number = serializers.SerializerMethodField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")

    def get_school_class(self, pupil) -> str:
        return pupil.school_class.name if pupil.school_class_id else ""

    def get_student_number(self, pupil) -> str:
        return student_number_for(self.context["request"].user, pupil)


class PendingRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    pupil = serializers.IntegerField(source="pupil_id")
    pupil_name = serializers.CharField(source="pupil.name")


class SummerSerializer(serializers.Serializer):
    opens = serializers.DateField()
    clear_by = serializers.DateField()
    graduate_by = serializers.DateField()
    promotion_on = serializers.DateField()


class GraduationRowSerializer(serializers.Serializer):
    school = serializers.IntegerField(source="school.pk")
    school_name = serializers.CharField(source="school.name")
    grade = serializers.IntegerField()
    summer = SummerSerializer()
    to_graduate = serializers.IntegerField()
    not_graduating = serializers.DictField(child=serializers.IntegerField(), source="counts")
    pending = PendingRequestSerializer(many=True)
    days_to_clear = serializers.IntegerField()
    days_to_deadline = serializers.IntegerField()
    graduated = serializers.IntegerField()
    late = serializers.BooleanField()
    blocked = serializers.BooleanField()
    state = serializers.CharField()


class GraduationRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    graduated_on = serializers.DateField()
    graduated_by = serializers.CharField()
    count = serializers.IntegerField()
    late = serializers.BooleanField()
    not_graduated = serializers.SerializerMethodField()

    def get_not_graduated(self, graduation) -> list[dict]:
        return [{"id": item["id"], "name": item["name"], "status": item["status"]} for item in graduation.not_graduated]


class GraduationStateSerializer(serializers.Serializer):
    school = serializers.IntegerField(source="school.pk")
    school_name = serializers.CharField(source="school.name")
    grade = serializers.IntegerField()
    summer = SummerSerializer()
    may_graduate = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    enrolled = PupilBriefSerializer(many=True)
    not_graduating = PupilBriefSerializer(many=True, source="listed")
    pending = PendingRequestSerializer(many=True)
    graduations = GraduationRecordSerializer(many=True)


class GraduateSerializer(serializers.Serializer):
    expected_count = serializers.IntegerField(
        min_value=0, required=False, help_text="确认时看到的毕业人数；名单有变化则拒绝办理。"
    )


class ClassSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    grade = serializers.IntegerField()
    number = serializers.IntegerField()


class PlanRowSerializer(serializers.Serializer):
    from_class = ClassSerializer(source="source")
    pupils = serializers.IntegerField()
    mapped = ClassSerializer(allow_null=True)
    default = ClassSerializer(allow_null=True)
    will_create = serializers.BooleanField()


class PromotionPlanSerializer(serializers.Serializer):
    school = serializers.IntegerField(source="school.pk")
    school_name = serializers.CharField(source="school.name")
    start_year = serializers.IntegerField()
    graduating_grade = serializers.IntegerField()
    promoted = serializers.SerializerMethodField()
    rows = PlanRowSerializer(many=True)
    next_classes = ClassSerializer(many=True)

    def get_promoted(self, plan) -> bool:
        return plan.done is not None


class PlanSchoolSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MappingItemSerializer(serializers.Serializer):
    from_class = serializers.IntegerField(min_value=1)
    to_class = serializers.IntegerField(min_value=1, allow_null=True, help_text="空：相同班号的班级（默认）")


class MappingSerializer(serializers.Serializer):
    mappings = MappingItemSerializer(many=True)


class PromotionSchoolSerializer(serializers.ModelSerializer):
    school_name = serializers.CharField(source="school.name")

    class Meta:
        model = PromotionSchool
        fields = ["school", "school_name", "promoted", "by_grade", "mapped", "without_class", "classes_created",
                  "graduating_left", "other_year", "done_at"]


class PromotionRunSerializer(serializers.ModelSerializer):
    bureau_name = serializers.CharField(source="bureau.name")
    status_label = serializers.CharField(source="get_status_display")

    class Meta:
        model = PromotionRun
        fields = ["id", "bureau", "bureau_name", "year", "trigger", "status", "status_label", "requested_at",
                  "started_at", "finished_at", "attempts", "schools_total", "schools_done", "promoted", "errors"]


class PromotionRunDetailSerializer(PromotionRunSerializer):
    schools = serializers.SerializerMethodField()

    class Meta(PromotionRunSerializer.Meta):
        fields = [*PromotionRunSerializer.Meta.fields, "schools"]

    def get_schools(self, run) -> list[dict]:
        rows = self.context["rows"]
        return [PromotionSchoolSerializer(row.result).data for row in rows if row.result]


class PromotionRunStartSerializer(serializers.Serializer):
    bureau = serializers.IntegerField(min_value=1, required=False, help_text="教育局的单位编号（只属于一个教育局时可不填）")


class CertificateQuerySerializer(serializers.Serializer):
    school = serializers.IntegerField(min_value=1)
    year = serializers.IntegerField(min_value=2000, max_value=2100, help_text="毕业学年的起始年份：2026 即 2026—2027学年")


class CertificateGraduateSerializer(serializers.Serializer):
    graduate = serializers.IntegerField(source="pk")
    pupil = serializers.IntegerField(source="pupil_id")
    name = serializers.CharField(source="pupil.name")
    student_number = serializers.SerializerMethodField()
    school_class = serializers.SerializerMethodField()
    graduated_on = serializers.DateField(source="graduation.graduated_on")
    certificate_number = serializers.SerializerMethodField()

    def get_student_number(self, graduate) -> str:
        return student_number_for(self.context["request"].user, graduate.pupil)

    def get_school_class(self, graduate) -> str:
        return graduate.pupil.school_class.name if graduate.pupil.school_class_id else ""

    def get_certificate_number(self, graduate) -> str:
        certificate = getattr(graduate, "certificate", None)
        return certificate.number if certificate else ""


class CertificateAssignSerializer(CertificateQuerySerializer):
    prefix = serializers.CharField(max_length=20, allow_blank=True, default="")
    first_sequence = serializers.IntegerField(min_value=0)
    width = serializers.IntegerField(min_value=1, max_value=12, default=5)


class CertificateBatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    first_number = serializers.CharField()
    last_number = serializers.CharField()
    count = serializers.IntegerField()

