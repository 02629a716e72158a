"""The API of information changes: /api/v1/changes/ (the guardian's request for identity fields:
start with the proof, list, detail, withdraw — the engine's RequestKindViewSet; decided through
/api/v1/requests/{id}/decide/) and /api/v1/corrections/ (the school corrects the other fields
itself)."""

from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from changes import printing, services
from changes.fields import CORRECTABLE_FIELDS, GUARDIAN_FIELD_ORDER, IDENTITY_FIELDS, form_field
from xueji.accounts.scoping import MAX_ID
from xueji.approvals.api import RequestSerializer
from xueji.approvals.kind_views import PupilRequestStartSerializer, RequestKindViewSet, files_field
from xueji.files.proof import check_uploads
from xueji.pupils.models import Guardian
from xueji.pupils.scoping import get_pupil_for_user


def _serializer_field(name: str, model=None):
    """The serializer field for a field of the record, checked like the form's."""
    field = form_field(name, **({"model": model} if model else {}))
    common = {"required": False, "help_text": str(field.label)}
    if hasattr(field, "choices") and field.choices:
        return serializers.ChoiceField(choices=[c for c in field.choices if c[0] != ""], allow_blank=True, **common)
    if isinstance(field, forms.DateField):
        return serializers.DateField(**common)
    if isinstance(field, forms.NullBooleanField):
        return serializers.BooleanField(allow_null=True, **common)
    if isinstance(field, forms.BooleanField):
        return serializers.BooleanField(**common)
    if isinstance(field, forms.DecimalField):
        return serializers.DecimalField(max_digits=field.max_digits, decimal_places=field.decimal_places,
                                        min_value=0, allow_null=True, **common)
    return serializers.CharField(allow_blank=True, max_length=field.max_length, **common)


class InfoChangeStartSerializer(PupilRequestStartSerializer):
    """The identity fields to change (only those given are compared with the record)."""

    reason = serializers.CharField(max_length=300, help_text="变更原因")
    guardian_files = files_field("监护人书面申请")
    proof_files = files_field("户口簿（或其他身份证件）的相关页")

    def get_fields(self):
        return {**{name: _serializer_field(name) for name in IDENTITY_FIELDS}, **super().get_fields()}


@extend_schema_view(
    create=extend_schema(request=InfoChangeStartSerializer, responses={201: RequestSerializer},
                         summary="学校发起学籍信息（关键信息）变更"),
    withdraw=extend_schema(request=None, responses=RequestSerializer, summary="发起人撤回申请（首个审批前）"),
)
class InfoChangeViewSet(RequestKindViewSet):
    """The information changes the caller may see, and starting one for a pupil of the caller's
    school (a pupil the caller cannot see is 404, as everywhere)."""

    kinds = (services.KIND,)
    start_serializer = InfoChangeStartSerializer
    throttle_scopes = {"form_pdf": "download"}  # xueji/web/throttles.py

    def start(self, pupil, school, values, resubmission_of):
        return services.info_change_start(
            actor=self.request.user, pupil=pupil, reason=values["reason"], resubmission_of=resubmission_of,
            typed={name: values[name] for name in IDENTITY_FIELDS if name in values},
            guardian_files=check_uploads(values["guardian_files"]), proof_files=check_uploads(values["proof_files"]),
        )

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="一页 A4 的申请表，含签字、盖章栏"),
            404: OpenApiResponse(description="没有这项申请，或无权查看"),
        },
        operation_id="changes_form_pdf", summary="打印学籍信息变更申请表（PDF）",
        description="一页 A4 的申请表（PDF）：学生基本情况、变更项目（原值和新值）、变更原因、证明材料，监护人签字栏和各级审批意见、"
                    "签字、盖章栏，以及家长扫码查询进度的二维码；证件号码按调用者的权限显示或打码；每次打印都记入审计日志。",
    )
    def form_pdf(self, request, pk=None):
        """GET /api/v1/changes/{id}/form.pdf (api_urls.py): the 申请表, as on its page."""
        return printing.form_response(self.get_object(), request.user)


class CorrectionGuardianSerializer(serializers.Serializer):
    def get_fields(self):
        return {name: _serializer_field(name, model=Guardian) for name in GUARDIAN_FIELD_ORDER}


class CorrectionSerializer(serializers.Serializer):
    pupil = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    note = serializers.CharField(max_length=200, help_text="更正说明（依据什么更正）")
    guardians = CorrectionGuardianSerializer(many=True, required=False, help_text="全部监护人（给出时替换原有的监护人）")

    def get_fields(self):
        return {**{name: _serializer_field(name) for name in CORRECTABLE_FIELDS}, **super().get_fields()}


class CorrectionResultSerializer(serializers.Serializer):
    pupil = serializers.IntegerField()
    changed = serializers.ListField(child=serializers.CharField(), help_text="更正的项目")


class CorrectionView(APIView):
    """The pupil's school corrects fields that are not identity fields (and the guardians)."""

    parser_classes = [JSONParser]

    @extend_schema(request=CorrectionSerializer, responses=CorrectionResultSerializer, summary="学校更正非关键学籍信息")
    def post(self, request):
        data = CorrectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        pupil = get_pupil_for_user(request.user, values["pupil"])
        guardians = [dict(g) for g in values["guardians"]] if "guardians" in values else None
        changed = services.pupil_correct(
            actor=request.user, pupil=pupil, typed={name: values[name] for name in CORRECTABLE_FIELDS if name in values},
            guardians=guardians, note=values["note"],
        )
        return Response({"pupil": pupil.pk, "changed": changed})
