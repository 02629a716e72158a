from django.urls import include, path

from archives import views

urlpatterns = [
    path("archives/handovers/", views.handover_list, name="handover_list"),
    path("archives/handovers/<int:handover_id>/<slug:action>/", views.handover_action, name="handover_action"),
    path("", include("archives.paper_urls")),
    path("", include("archives.rollcall_urls")),
]
