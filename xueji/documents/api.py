"""The API's printed documents: a pupil's 学籍卡 (at once) and a class's (a job a worker prints,
xueji/documents/jobs.py: 202 with the job's address, or the kept file at once when nothing
changed since it was printed for the caller); the jobs' state and their files, the requester's
only. A grade's or a school's cards leave only through an export request (/api/v1/exports/, kind
"school_cards"). The same scoping, masking, records and audit as the pages
(xueji/documents/views.py): 404 outside the caller's scope."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from xueji.accounts.scoping import NotInScope, get_school_for_user, object_id
from xueji.documents.cards import may_print_school
from xueji.documents.job_api import JOB_DESCRIPTION, JOB_RESPONSES, job_accepted
from xueji.documents.views import pupil_card_response

PDF = {(200, "application/pdf"): OpenApiTypes.BINARY}


class PupilCardView(APIView):
    """GET /api/v1/pupils/{id}/card.pdf: the pupil's 学籍卡 (one A4 page), numbers as the caller
    sees them; recorded under the verification code its footer carries."""

    throttle_scope = "download"

    @extend_schema(responses=PDF, summary="学生的学籍卡（PDF）")
    def get(self, request, pk: int):
        return pupil_card_response(request.user, pk)


class ClassCardsView(APIView):
    """GET /api/v1/classes/{id}/cards.pdf: the 学籍卡 of every pupil of the class in school, one
    PDF with a page each, printed by a worker (202 and the job), or the kept PDF at once."""

    throttle_scope = "download"

    @extend_schema(responses=JOB_RESPONSES, summary="班级全体学生的学籍卡（PDF，后台生成）",
                   description=JOB_DESCRIPTION)
    def get(self, request, pk: int):
        return job_accepted(request, "class_cards", {"class": object_id(pk)})


EXPORT_REQUEST_REQUIRED = {
    "detail": "全校或年级学籍卡须先申请导出（POST /api/v1/exports/，kind=school_cards），经分管领导审批后下载。",
    "code": "export_request_required",
    "export_request_required": True,
}


class SchoolCardJobsView(APIView):
    """POST /api/v1/schools/{id}/card-jobs/: formerly a job printing a grade's or the school's
    cards; they now leave only through an approved export request (/api/v1/exports/, kind
    "school_cards", scope "<school id>" or "<school id>-<grade>"): 403 with
    ``export_request_required`` to whoever printed them (404 to anyone else)."""

    @extend_schema(
        request=None,
        responses={403: inline_serializer("CardsExportRequestRequired", {
            "detail": serializers.CharField(), "code": serializers.CharField(),
            "export_request_required": serializers.BooleanField(),
        })},
        summary="生成年级或全校学籍卡（须经导出申请，见 /api/v1/exports/）",
    )
    def post(self, request, pk: int):
        school = get_school_for_user(request.user, pk)
        if not may_print_school(request.user, school):
            raise NotInScope("没有找到这所学校，或您无权打印全校学籍卡。", what="unit", object_id=pk)
        return Response(EXPORT_REQUEST_REQUIRED, status=status.HTTP_403_FORBIDDEN)
