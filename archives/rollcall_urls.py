from django.urls import path

from archives import rollcall_printing, rollcall_views as views

urlpatterns = [
    path("archives/rollcalls/", views.rollcall_overview, name="rollcall_overview"),
    path("archives/rollcalls/schools/<int:school_id>/", views.rollcall_school, name="rollcall_school"),
    path("archives/rollcalls/schools/<int:school_id>/report.pdf", rollcall_printing.rollcall_report, name="rollcall_report"),
    path("archives/rollcalls/classes/<int:class_id>/", views.rollcall_class, name="rollcall_class"),
    path("archives/rollcalls/<int:roll_call_id>/reopen/", views.rollcall_reopen, name="rollcall_reopen"),
    path("archives/rollcalls/entries/<int:entry_id>/handle/", views.rollcall_entry_handle, name="rollcall_entry_handle"),
]
