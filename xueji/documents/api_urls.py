from django.urls import path

from xueji.documents import api

app_name = "documents_api"
urlpatterns = [
    path("pupils/<int:pk>/card.pdf", api.PupilCardView.as_view(), name="api-pupil-card"),
    path("classes/<int:pk>/cards.pdf", api.ClassCardsView.as_view(), name="api-class-cards"),
    path("schools/<int:pk>/card-jobs/", api.SchoolCardJobsView.as_view(), name="api-card-job-start"),
]
