from django.urls import path

from xueji.documents import api, job_api

app_name = "documents_api"
urlpatterns = [
    path("pupils/<int:pk>/card.pdf", api.PupilCardView.as_view(), name="api-pupil-card"),
    path("classes/<int:pk>/cards.pdf", api.ClassCardsView.as_view(), name="api-class-cards"),
    path("documents/jobs/<int:pk>/", job_api.DocumentJobView.as_view(), name="api-document-job"),
    path("documents/jobs/<int:pk>/file/", job_api.DocumentJobFileView.as_view(), name="api-document-job-file"),
    path("schools/<int:pk>/card-jobs/", api.SchoolCardJobsView.as_view(), name="api-card-job-start"),
]
