from django.urls import path

from schoolyear import views

app_name = "schoolyear"
urlpatterns = [
    path("schoolyear/graduation/", views.graduation_overview, name="graduation_overview"),
    path("schoolyear/graduation/<int:school_id>/", views.graduation_school, name="graduation_school"),
    path("schoolyear/graduation/<int:school_id>/graduates.pdf", views.graduation_list_pdf, name="graduation_list_pdf"),
    path("schoolyear/graduation/<int:school_id>/confirm/", views.graduation_confirm, name="graduation_confirm"),
    path("schoolyear/promotion/", views.promotion_overview, name="promotion_overview"),
    path("schoolyear/promotion/<int:school_id>/plan/", views.promotion_plan, name="promotion_plan"),
    path("schoolyear/promotion/run/", views.promotion_run_start, name="promotion_run_start"),
    path("schoolyear/promotion/runs/<int:run_id>/", views.promotion_run_detail, name="promotion_run_detail"),
    path("schoolyear/certificates/", views.certificate_overview, name="certificate_overview"),
    path("schoolyear/certificates/<int:school_id>/<int:year>/", views.certificate_school, name="certificate_school"),
    path("schoolyear/certificates/<int:school_id>/<int:year>.xlsx", views.certificate_export, name="certificate_export"),
    path("schoolyear/education-proofs/", views.education_proof_list, name="education_proof_list"),
    path("schoolyear/education-proofs/<int:request_id>/proof.pdf", views.education_proof_pdf_view, name="education_proof_pdf"),
    path("pupils/<int:pupil_id>/education-proof/new/", views.education_proof_start, name="education_proof_start"),
]
