from django.urls import path

from dropouts import ledger_views, views

app_name = "dropouts"
urlpatterns = [
    path("dropouts/", views.dropout_list, name="dropout_list"),
    path("dropouts/bureau/", views.dropout_bureau, name="dropout_bureau"),
    path("dropouts/cases/<int:case_id>/", views.dropout_case, name="dropout_case"),
    path("dropouts/cases/<int:case_id>/steps/", views.dropout_step_add, name="dropout_step_add"),
    path("dropouts/cases/<int:case_id>/notice.pdf", views.dropout_notice_pdf, name="dropout_notice_pdf"),
    path("dropouts/cases/<int:case_id>/return/", views.dropout_return, name="dropout_return"),
    path("dropouts/cases/<int:case_id>/aged-out/", views.dropout_aged_out, name="dropout_aged_out"),
    path("dropouts/photos/<int:photo_id>/", views.dropout_photo, name="dropout_photo"),
    path("dropouts/ledgers/", ledger_views.ledger_list, name="ledger_list"),
    path("dropouts/ledgers/refresh/", ledger_views.ledger_refresh, name="ledger_refresh"),
    path("dropouts/ledgers/<int:entry_id>/", ledger_views.ledger_entry, name="ledger_entry"),
    path("dropouts/ledgers/<int:entry_id>/attempts/", ledger_views.ledger_attempt_add, name="ledger_attempt_add"),
    path("dropouts/ledgers/<int:entry_id>/close/", ledger_views.ledger_close, name="ledger_close"),
    path("dropouts/monthly/", ledger_views.report_list, name="report_list"),
    path("dropouts/monthly/make/", ledger_views.report_make, name="report_make"),
    path("dropouts/monthly/<int:report_id>/", ledger_views.report_detail, name="report_detail"),
    path("dropouts/monthly/<int:report_id>/sign/", ledger_views.report_sign, name="report_sign"),
    path("dropouts/monthly/<int:report_id>/print.pdf", ledger_views.report_pdf, name="report_pdf"),
    path("dropouts/review/", ledger_views.review, name="review"),
    path("dropouts/review/print.pdf", ledger_views.review_pdf, name="review_pdf"),
    path("pupils/<int:pupil_id>/absences/", views.dropout_absence_add, name="dropout_absence_add"),
    path("pupils/<int:pupil_id>/dropout/", views.dropout_confirm, name="dropout_confirm"),
]
