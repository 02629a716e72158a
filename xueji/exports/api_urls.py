from django.urls import path

from xueji.exports import api

app_name = "exports_api"
urlpatterns = [
    path("exports/", api.ExportListView.as_view(), name="api-export-list"),
    path("exports/<int:request_id>/", api.ExportDetailView.as_view(), name="api-export-detail"),
    path("exports/<int:request_id>/file/", api.ExportFileView.as_view(), name="api-export-file"),
]
