"""Pages of the admission list and three-way consistency; included at the site root."""

from django.urls import path

from enrollment.admission import views

urlpatterns = [
    path("admissions/import/", views.admission_upload, name="admission_upload"),
    path("admissions/template/", views.admission_template, name="admission_template"),
    path("admissions/consistency/", views.admission_consistency, name="admission_consistency"),
    path("admissions/consistency/<int:school_id>/", views.admission_behind, name="admission_behind"),
    path("admissions/school/", views.admission_school, name="admission_school"),
]
