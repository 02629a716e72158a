from django.urls import path

from archives.handover import views as handover_views
from archives.paper import views as paper_views
from archives.rollcall import printing as rollcall_printing
from archives.rollcall import views as rollcall_views

app_name = "archives"
urlpatterns = [
    path("archives/handovers/", handover_views.handover_list, name="handover_list"),
    path("archives/handovers/<int:handover_id>/", handover_views.handover_detail, name="handover_detail"),
    path("archives/handovers/<int:handover_id>/<slug:action>/", handover_views.handover_action, name="handover_action"),
    path("archives/paper/", paper_views.paper_overview, name="paper_overview"),
    path("archives/paper/schools/<int:school_id>/", paper_views.paper_school, name="paper_school"),
    path("archives/paper/classes/<int:class_id>/", paper_views.paper_class, name="paper_class"),
    path("archives/paper/pupils/<int:pupil_id>/", paper_views.paper_pupil, name="paper_pupil"),
    path("archives/rollcalls/", rollcall_views.rollcall_overview, name="rollcall_overview"),
    path("archives/rollcalls/schools/<int:school_id>/", rollcall_views.rollcall_school, name="rollcall_school"),
    path("archives/rollcalls/schools/<int:school_id>/report.pdf", rollcall_printing.rollcall_report,
         name="rollcall_report"),
    path("archives/rollcalls/classes/<int:class_id>/", rollcall_views.rollcall_class, name="rollcall_class"),
    path("archives/rollcalls/classes/<int:class_id>/start/", rollcall_views.rollcall_start, name="rollcall_start"),
    path("archives/rollcalls/<int:roll_call_id>/refresh/", rollcall_views.rollcall_refresh, name="rollcall_refresh"),
    path("archives/rollcalls/<int:roll_call_id>/save/", rollcall_views.rollcall_save, name="rollcall_save"),
    path("archives/rollcalls/<int:roll_call_id>/rest-present/", rollcall_views.rollcall_rest_present,
         name="rollcall_rest_present"),
    path("archives/rollcalls/<int:roll_call_id>/finish/", rollcall_views.rollcall_finish, name="rollcall_finish"),
    path("archives/rollcalls/<int:roll_call_id>/unlisted/", rollcall_views.rollcall_unlisted_add,
         name="rollcall_unlisted_add"),
    path("archives/rollcalls/entries/<int:entry_id>/remove/", rollcall_views.rollcall_unlisted_remove,
         name="rollcall_unlisted_remove"),
    path("archives/rollcalls/<int:roll_call_id>/reopen/", rollcall_views.rollcall_reopen, name="rollcall_reopen"),
    path("archives/rollcalls/entries/<int:entry_id>/handle/", rollcall_views.rollcall_entry_handle,
         name="rollcall_entry_handle"),
]
