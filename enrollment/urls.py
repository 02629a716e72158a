from django.urls import path

from enrollment.admission import views as admission_views
from enrollment.intake import views
from enrollment.national import views as national_views

app_name = "enrollment"
urlpatterns = [
    path("enrolment/", views.enrolment_home, name="enrolment_home"),
    path("enrolment/template/", views.enrolment_template, name="enrolment_template"),
    path("enrolment/upload/", views.enrolment_upload, name="enrolment_upload"),
    path("enrolment/imports/<int:import_id>/", views.enrolment_import, name="enrolment_import"),
    path("enrolment/imports/<int:import_id>/status/", views.enrolment_import_status, name="enrolment_import_status"),
    path("enrolment/imports/<int:import_id>/errors.xlsx", views.enrolment_import_annotated, name="enrolment_import_annotated"),
    path("enrolment/entries/new/", views.enrolment_entry_edit, name="enrolment_entry_new"),
    path("enrolment/entries/<int:entry_id>/", views.enrolment_entry_edit, name="enrolment_entry_edit"),
    path("enrolment/entries/<int:entry_id>/delete/", views.enrolment_entry_delete, name="enrolment_entry_delete"),
    path("enrolment/classes/", views.enrolment_classes, name="enrolment_classes"),
    path("enrolment/submit/", views.enrolment_submit, name="enrolment_submit"),
    path("enrolment/batches/<int:request_id>/", views.enrolment_batch, name="enrolment_batch"),
    path("enrolment/late/", views.enrolment_late, name="enrolment_late"),
    path("enrolment/print/info-sheets.pdf", views.enrolment_info_sheets, name="enrolment_info_sheets"),
    path("enrolment/pull/", views.enrolment_pull, name="enrolment_pull"),
    path("enrolment/visiting/", views.enrolment_visiting, name="enrolment_visiting"),
    path("enrolment/visiting/<int:visit_id>/end/", views.enrolment_visit_end, name="enrolment_visit_end"),
    path("enrolment/bureau/", views.enrolment_bureau, name="enrolment_bureau"),
    path("enrolment/bureau/confirm/", views.enrolment_identity_confirm, name="enrolment_identity_confirm"),
    # The admission list (录取名单) and three-way consistency.
    path("admissions/import/", admission_views.admission_upload, name="admission_upload"),
    path("admissions/template/", admission_views.admission_template, name="admission_template"),
    path("admissions/consistency/", admission_views.admission_consistency, name="admission_consistency"),
    path("admissions/consistency/<int:school_id>/", admission_views.admission_behind, name="admission_behind"),
    path("admissions/school/", admission_views.admission_school, name="admission_school"),
    # Working beside the national system.
    path("national/readiness/", national_views.national_readiness, name="national_readiness"),
    path("national/export/", national_views.national_export, name="national_export"),
    path("national/numbers/", national_views.national_numbers_import, name="national_numbers_import"),
]
