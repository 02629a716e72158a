from django.urls import path

from xueji.documents import job_views, views

app_name = "documents"
urlpatterns = [
    path("classes/<int:class_id>/roster.<str:fmt>", views.class_roster, name="class_roster"),
    path("pupils/<int:pupil_id>/card.pdf", views.pupil_card, name="pupil_card"),
    path("pupils/<int:pupil_id>/info-sheet.pdf", views.pupil_info_sheet, name="pupil_info_sheet"),
    path("classes/<int:class_id>/cards.pdf", views.class_cards, name="class_cards"),
    path("cards/", views.cards_home, name="cards_home"),
    path("schools/<int:school_id>/cards/", views.school_cards, name="school_cards"),
    # Formerly a school's or a grade's card job: now the export request's form, prefilled.
    path("schools/<int:school_id>/cards/jobs/", views.card_job_start, name="card_job_start"),
    path("documents/verify/", views.document_verify, name="document_verify"),
    path("documents/jobs/", job_views.document_job_list, name="document_job_list"),
    path("documents/jobs/<int:job_id>/", job_views.document_job, name="document_job"),
    path("documents/jobs/<int:job_id>/file", job_views.document_job_file, name="document_job_file"),
]
