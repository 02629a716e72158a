from django.urls import path

from xueji.exports import views

app_name = "exports"
urlpatterns = [
    path("exports/", views.export_list, name="export_list"),
    path("exports/new/", views.export_new, name="export_new"),
    path("exports/<int:request_id>/", views.export_detail, name="export_detail"),
    path("exports/<int:request_id>/file/", views.export_file_download, name="export_file"),
]
