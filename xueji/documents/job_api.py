"""The API of heavy documents printed by a worker (xueji/documents/jobs.py): what an endpoint of
a heavy document answers (``job_accepted``: 202 and the job, or the kept file at once), the
job's state and its file, the requester's only (404 to anyone else)."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from xueji.documents.job_views import job_file_response
from xueji.documents.jobs import document_job_request, job_file_exists, job_for_user
from xueji.documents.models import DocumentJob


class DocumentJobSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    url = serializers.SerializerMethodField(help_text="任务状态的地址")
    file_url = serializers.SerializerMethodField(help_text="完成后下载文件的地址；未完成时为 null")
    code = serializers.SerializerMethodField(help_text="文书的核验码；未完成时为 null")

    class Meta:
        model = DocumentJob
        fields = ["id", "kind", "title", "status", "status_label", "progress", "pupil_count", "error", "created_at",
                  "finished_at", "url", "file_url", "code"]

    def get_url(self, job) -> str:
        return reverse("documents_api:api-document-job", args=[job.pk])

    def get_file_url(self, job) -> str | None:
        done = job.status == DocumentJob.Status.DONE and bool(job.file)
        return reverse("documents_api:api-document-job-file", args=[job.pk]) if done else None

    def get_code(self, job) -> str | None:
        return job.document.display_code if job.document_id else None


def job_accepted(request, kind: str, params: dict):
    """A heavy document for the API: the kept file at once (200) when one printed for the caller
    still shows what the records hold, else 202 with the job (its ``url`` to poll, ``file_url``
    once done). Scoped (404) and audited as the pages are."""
    job, new = document_job_request(user=request.user, kind=kind, params=params)
    if not new and job.status == DocumentJob.Status.DONE and job_file_exists(job):
        return job_file_response(request.user, job)
    response = Response(DocumentJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
    response["Location"] = reverse("documents_api:api-document-job", args=[job.pk])
    return response


# What the heavy documents' endpoints answer, for the schema.
JOB_RESPONSES = {
    202: DocumentJobSerializer,
    (200, "application/pdf"): OpenApiTypes.BINARY,
    (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
}
JOB_DESCRIPTION = ("由后台生成：答复 202 及任务（轮询 `url`，完成后从 `file_url` 下载）；"
                   "若此前为您生成的文件内容未变，直接答复 200 和文件。")


class DocumentJobView(APIView):
    """GET /api/v1/documents/jobs/{id}/: a job's state and progress, to its requester (404 to
    anyone else)."""

    @extend_schema(responses=DocumentJobSerializer, summary="文书生成任务的状态")
    def get(self, request, pk: int):
        return Response(DocumentJobSerializer(job_for_user(request.user, pk)).data)


class DocumentJobFileView(APIView):
    """GET /api/v1/documents/jobs/{id}/file/: the file once done (409 before), to its requester
    (404 to anyone else); audited as the download of the print it is."""

    throttle_scope = "download"

    @extend_schema(
        responses={**{k: v for k, v in JOB_RESPONSES.items() if k != 202},
                   409: inline_serializer("DocumentJobNotDone", {"detail": serializers.CharField(),
                                                                 "code": serializers.CharField()})},
        summary="下载文书生成任务的文件",
    )
    def get(self, request, pk: int):
        job = job_for_user(request.user, pk)
        if job.status != DocumentJob.Status.DONE:
            detail = "文件生成失败：" + job.error if job.status == DocumentJob.Status.FAILED else "文件尚未生成，请稍后再试。"
            return Response({"detail": detail, "code": f"job_{job.status}"}, status=status.HTTP_409_CONFLICT)
        return job_file_response(request.user, job)
