"""The pupils' API under /api/v1/pupils/, with the pages' scoping.

Every queryset comes from the scoped selectors (xueji.pupils.scoping); an object outside the caller's
scope is a 404. What of each pupil the caller sees is xueji.pupils.visibility's, as on the pages:
the fields the caller may not see are left out of the answer (a head teacher's has no address,
household registration, health, disability, circumstances or guardians' ID numbers; a city
officer's no phones or e-mail either), and the ID number and a G number come masked to those who
see them masked. The schema lists every field: a client reads a field that is absent as not
shown to it.
"""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from xueji.accounts.audit import audit_record
from xueji.codes import GRADE_LABELS
from xueji.pupils.filters import PupilFilterSet
from xueji.pupils.lookup import audit_number_search
from xueji.pupils.models import Guardian, Pupil
from xueji.pupils.scoping import get_pupil_for_user
from xueji.pupils.selectors import pupil_list
from xueji.pupils.visibility import VisibleFieldsMixin

# Pupils -------------------------------------------------------------------------------------

class GuardianSerializer(serializers.ModelSerializer):
    """A family member (成员1, 成员2 of the national form), in the order of its family block."""

    relation_label = serializers.CharField(source="get_relation_display", read_only=True)
    ethnicity_label = serializers.CharField(source="get_ethnicity_display", read_only=True)

    class Meta:
        model = Guardian
        fields = [
            "position", "relation", "relation_label", "name", "relation_note", "address", "hukou_division", "phone",
            "is_guardian", "id_type", "id_number", "ethnicity", "ethnicity_label", "workplace", "job_title",
        ]


class PupilListSerializer(VisibleFieldsMixin, serializers.ModelSerializer):
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

    def get_class_name(self, pupil) -> str:
        return pupil.school_class.name if pupil.school_class_id else ""

    def get_grade_label(self, pupil) -> str:
        return GRADE_LABELS.get(pupil.grade, "")


class PupilDetailSerializer(PupilListSerializer):
    guardians = GuardianSerializer(many=True, read_only=True)
    numbers = serializers.SerializerMethodField()
    political_status_label = serializers.CharField(source="get_political_status_display", read_only=True)
    source_label = serializers.CharField(source="get_source_display", read_only=True)
    commute_mode_label = serializers.CharField(source="get_commute_mode_display", read_only=True)

    class Meta(PupilListSerializer.Meta):
        fields = PupilListSerializer.Meta.fields + [
            "former_name", "pinyin", "birthplace", "native_place", "ethnicity", "nationality", "id_type",
            "id_number", "overseas_status", "hukou_division", "hukou_type", "hukou_address", "address", "health",
            "disability", "disability_placement", "entry_mode", "boarding", "left_behind", "migrant_child",
            "only_child", "orphan", "entry_date",
            # The national form's other items (xueji.pupils.national_form), coded ones with their label.
            "political_status", "political_status_label", "id_validity", "specialty", "auxiliary_number",
            "class_number", "source", "source_label", "mailing_address", "home_address", "phone", "postcode",
            "email", "homepage", "preschool", "martyr_child", "government_place", "needs_aid", "one_subsidy",
            "distance_km", "commute_mode", "commute_mode_label", "school_bus",
            "guardians", "numbers",
        ]

    def get_numbers(self, pupil) -> list[dict]:
        return [
            {"number": n.number, "kind": n.kind, "assigned_at": n.assigned_at, "retired_at": n.retired_at}
            for n in pupil.numbers.all()
        ]


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

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        # A search by ID number or 学籍号 is recorded with how many it found (as on the page).
        params = request.query_params
        query = params.get("search", "") if "search" in params else params.get("q", "")
        paginator = self.paginator.page.paginator if getattr(self.paginator, "page", None) else None
        audit_number_search(query, found=paginator.count if paginator else len(response.data),
                            capped=paginator.capped if paginator else False, via="通过 API ")
        return response

    def retrieve(self, request, pk=None):
        pupil = get_pupil_for_user(request.user, pk)
        audit_record(action="pupil.view", obj=pupil, detail="通过 API 查看学籍")
        return Response(PupilDetailSerializer(pupil, context={"request": request}).data)
