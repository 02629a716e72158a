from django.urls import path

from archives import views

urlpatterns = [
    path("archives/handovers/", views.handover_list, name="handover_list"),
    path("archives/handovers/<int:handover_id>/<slug:action>/", views.handover_action, name="handover_action"),
]
