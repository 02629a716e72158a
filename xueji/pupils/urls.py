from django.urls import path

from xueji.pupils import views

app_name = "pupils"
urlpatterns = [
    path("pupils/", views.pupil_list_view, name="pupil_list"),
    path("pupils/<int:pupil_id>/", views.pupil_detail, name="pupil_detail"),
    path("pupils/<int:pupil_id>/sanctions/", views.pupil_sanction_add, name="pupil_sanction_add"),
]
