from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("statistics/", views.statistics_page, name="statistics"),
    path("statistics/export.xlsx", views.statistics_xlsx_view, name="statistics_xlsx"),
    path("reports/monthly/", views.monthly_report_list, name="monthly_report_list"),
    path("reports/monthly/regenerate/", views.monthly_report_regenerate, name="monthly_report_regenerate"),
    path("reports/monthly/<int:report_id>/", views.monthly_report_detail, name="monthly_report_detail"),
    path("reports/monthly/<int:report_id>/report.pdf", views.monthly_report_pdf_view, name="monthly_report_pdf"),
    path("reports/monthly/<int:report_id>/report.xlsx", views.monthly_report_xlsx_view, name="monthly_report_xlsx"),
]
