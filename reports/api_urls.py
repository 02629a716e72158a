from django.urls import path
from rest_framework.routers import SimpleRouter

from reports.api import MonthlyReportViewSet, StatisticsView, StatisticsXlsxView

app_name = "reports_api"
router = SimpleRouter()
router.register("monthly-reports", MonthlyReportViewSet, basename="api-monthly-report")
# The files are named like files (…/report.pdf, no trailing slash), which the router would not give.
urlpatterns = [
    path("statistics/", StatisticsView.as_view(), name="api-statistics"),
    path("statistics/export.xlsx", StatisticsXlsxView.as_view(), name="api-statistics-xlsx"),
    *router.urls,
    path("monthly-reports/<int:pk>/report.pdf", MonthlyReportViewSet.as_view({"get": "pdf"}),
         name="api-monthly-report-pdf"),
    path("monthly-reports/<int:pk>/report.xlsx", MonthlyReportViewSet.as_view({"get": "xlsx"}),
         name="api-monthly-report-xlsx"),
]
