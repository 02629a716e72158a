from django.urls import path

from xueji.photos import api

app_name = "photos_api"
urlpatterns = [
    path("pupils/<int:pupil_id>/photo/", api.PupilPhotoView.as_view(), name="api-pupil-photo"),
    path("schools/<int:school_id>/photos/", api.SchoolPhotoImportView.as_view(), name="api-school-photo-import"),
]
