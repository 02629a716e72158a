from django.urls import path

from dropouts import views

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
    path("pupils/<int:pupil_id>/absences/", views.dropout_absence_add, name="dropout_absence_add"),
    path("pupils/<int:pupil_id>/dropout/", views.dropout_confirm, name="dropout_confirm"),
]
