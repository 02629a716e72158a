"""The API's printed documents: a pupil's 学籍卡, a class's, and a grade's or a school's as a
background job (start it, follow its progress, fetch the PDF). The same scoping, masking,
records and audit as the pages (xueji/documents/views.py): 404 outside the caller's scope."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from xueji.accounts.scoping import get_school_for_user
from xueji.codes import GRADE_LABELS
from xueji.documents.cards import card_job_request
from xueji.documents.models import CardJob
from xueji.documents.views import (
    card_job_file_response,
    class_cards_response,
    get_card_job_for_user,
    pupil_card_response,
)

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
    PDF with a page each."""

    throttle_scope = "download"

    @extend_schema(responses=PDF, summary="班级全体学生的学籍卡（PDF）")
    def get(self, request, pk: int):
        return class_cards_response(request.user, pk)


class CardJobSerializer(serializers.ModelSerializer):
    scope = serializers.CharField(source="scope_label", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    code = serializers.SerializerMethodField()
    file = serializers.SerializerMethodField()

    class Meta:
        model = CardJob
        fields = ["id", "school", "grade", "scope", "status", "status_label", "progress", "pupil_count", "code",
                  "file", "error", "created_at", "finished_at"]

    def get_code(self, job) -> str:
        return job.document.display_code if job.document_id else ""

    def get_file(self, job) -> str:
        return f"/api/v1/card-jobs/{job.pk}/cards.pdf" if job.status == CardJob.Status.DONE else ""


class SchoolCardJobsView(APIView):
    """POST /api/v1/schools/{id}/card-jobs/ {"grade": 3} (or no grade: the whole school): the
    job printing the caller's cards of the school or grade; the last one while it is running or
    while nothing it shows has changed (200), else a new one (201). Registrars, headmasters,
    central schools and bureaus."""

    @extend_schema(
        request=inline_serializer("CardJobStart", {"grade": serializers.IntegerField(required=False, allow_null=True)}),
        responses={200: CardJobSerializer, 201: CardJobSerializer}, summary="生成年级或全校学籍卡",
    )
    def post(self, request, pk: int):
        school = get_school_for_user(request.user, pk)
        grade = request.data.get("grade")
        if grade in ("", None):
            grade = None
        else:
            try:
                grade = int(grade)
            except (TypeError, ValueError):
                grade = 0
            if grade not in GRADE_LABELS:
                return Response({"grade": ["年级应为 1 至 9。"]}, status=status.HTTP_400_BAD_REQUEST)
        job, new = card_job_request(user=request.user, school=school, grade=grade)
        return Response(CardJobSerializer(job).data, status=status.HTTP_201_CREATED if new else status.HTTP_200_OK)


class CardJobView(APIView):
    """GET /api/v1/card-jobs/{id}/: the caller's job, its status and progress."""

    @extend_schema(responses=CardJobSerializer, summary="学籍卡生成任务的进度")
    def get(self, request, pk: int):
        return Response(CardJobSerializer(get_card_job_for_user(request.user, pk)).data)


class CardJobFileView(APIView):
    """GET /api/v1/card-jobs/{id}/cards.pdf: the job's PDF once done."""

    throttle_scope = "download"

    @extend_schema(responses=PDF, summary="下载已生成的学籍卡（PDF）")
    def get(self, request, pk: int):
        return card_job_file_response(request.user, pk)
