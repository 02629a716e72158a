from django.urls import path

from xueji.photos import views

app_name = "photos"
urlpatterns = [
    path("pupils/<int:pupil_id>/photo/", views.pupil_photo, name="pupil_photo"),
    path("pupils/<int:pupil_id>/photo/upload/", views.pupil_photo_upload, name="pupil_photo_upload"),
    path("pupils/<int:pupil_id>/photo/remove/", views.pupil_photo_remove_view, name="pupil_photo_remove"),
    path("schools/<int:school_id>/photos/", views.school_photo_import, name="school_photo_import"),
]
