from django.urls import path

from archives import paper_views as views

urlpatterns = [
    path("archives/paper/", views.paper_overview, name="paper_overview"),
    path("archives/paper/schools/<int:school_id>/", views.paper_school, name="paper_school"),
    path("archives/paper/classes/<int:class_id>/", views.paper_class, name="paper_class"),
    path("archives/paper/pupils/<int:pupil_id>/", views.paper_pupil, name="paper_pupil"),
]
