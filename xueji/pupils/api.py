"""The pupils' API under /api/v1/pupils/, with the pages' scoping.

Every queryset comes from the scoped selectors (xueji.pupils.scoping); an object outside the caller's
scope is a 404. Fields the caller may not see in full are masked as on the pages.
"""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from xueji.accounts.audit import audit_record
from xueji.codes import GRADE_LABELS
from xueji.identity import mask_id_number, mask_student_number
from xueji.pupils.filters import PupilFilterSet
from xueji.pupils.models import Guardian, Pupil
from xueji.pupils.scoping import get_pupil_for_user, sees_full_record
from xueji.pupils.selectors import pupil_list

MASK = "***"


# Pupils -------------------------------------------------------------------------------------

class GuardianSerializer(serializers.ModelSerializer):
    relation_label = serializers.CharField(source="get_relation_display", read_only=True)

    class Meta:
        model = Guardian
        fields = ["position", "relation", "relation_label", "name", "id_type", "id_number", "phone", "workplace", "hukou_division"]


class PupilListSerializer(serializers.ModelSerializer):
    school_name = serializers.CharField(source="school.name", read_only=True)
    class_name = serializers.SerializerMethodField()
    grade_label = serializers.SerializerMethodField()
    gender_label = serializers.CharField(source="get_gender_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Pupil
        fields = [
            "id", "student_number", "name", "gender", "gender_label", "birth_date", "school", "school_name",
            "grade", "grade_label", "school_class", "class_name", "status", "status_label",
        ]

    def full_record(self, pupil) -> bool:
        """Whether the caller sees this pupil's ID number (and so its G number) in full."""
        return sees_full_record(self.context["request"].user, pupil)

    def to_representation(self, pupil):
        data = super().to_representation(pupil)
        if not self.full_record(pupil):
            data["student_number"] = mask_student_number(data["student_number"])
        return data

    def get_class_name(self, pupil) -> str:
        return pupil.school_class.name if pupil.school_class_id else ""

    def get_grade_label(self, pupil) -> str:
        return GRADE_LABELS.get(pupil.grade, "")


# Fields masked for roles that do not need them (as on the pupil page).
SENSITIVE_FIELDS = ["health", "hukou_division", "hukou_type", "hukou_address"]


class PupilDetailSerializer(PupilListSerializer):
    guardians = GuardianSerializer(many=True, read_only=True)
    numbers = serializers.SerializerMethodField()

    class Meta(PupilListSerializer.Meta):
        fields = PupilListSerializer.Meta.fields + [
            "former_name", "pinyin", "birthplace", "native_place", "ethnicity", "nationality", "id_type",
            "id_number", "overseas_status", "hukou_division", "hukou_type", "hukou_address", "address", "health",
            "disability", "disability_placement", "entry_mode", "boarding", "left_behind", "migrant_child",
            "only_child", "orphan", "entry_date", "guardians", "numbers",
        ]

    def get_numbers(self, pupil) -> list[dict]:
        return [
            {"number": n.number, "kind": n.kind, "assigned_at": n.assigned_at, "retired_at": n.retired_at}
            for n in pupil.numbers.all()
        ]

    def to_representation(self, pupil):
        data = super().to_representation(pupil)
        if not self.full_record(pupil):
            data["id_number"] = mask_id_number(data["id_number"])
            for field in SENSITIVE_FIELDS:
                data[field] = MASK if data[field] not in (None, "") else data[field]
            data["numbers"] = [{**n, "number": mask_student_number(n["number"])} for n in data["numbers"]]
            for guardian in data["guardians"]:
                guardian["id_number"] = mask_id_number(guardian["id_number"])
                guardian["hukou_division"] = MASK
        return data


class PupilViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Pupils the caller may see. ``search`` takes a name, pinyin, 学籍号 or ID number."""

    queryset = Pupil.objects.none()  # the model, for the schema; every request reads get_queryset()
    # The list page's filters (xueji.pupils.filters): a bad value is a 400 with the reason.
    filter_backends = [DjangoFilterBackend]
    filterset_class = PupilFilterSet

    def get_queryset(self):
        return pupil_list(self.request.user)

    def get_serializer_class(self):
        return PupilDetailSerializer if self.action == "retrieve" else PupilListSerializer

    def retrieve(self, request, pk=None):
        pupil = get_pupil_for_user(request.user, pk)
        audit_record(action="pupil.view", obj=pupil, detail="通过 API 查看学籍")
        return Response(PupilDetailSerializer(pupil, context={"request": request}).data)
