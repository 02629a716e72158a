from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "统计与月报"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from reports import home  # noqa: F401  (home panels)
        from reports.selectors import REPORT_ROLES
        from xueji.documents.printing import register_document_kind
        from xueji.web.navigation import NavItem, register_nav_item

        roles = frozenset(str(role) for role in REPORT_ROLES)
        register_nav_item(NavItem("统计", "reports:statistics", roles, group="文书统计"))
        register_nav_item(NavItem("月报", "reports:monthly_report_list", roles, group="文书统计"))
        register_document_kind("monthly_report", "学籍变动月报")
        register_document_kind("monthly_report_xlsx", "学籍变动月报（Excel）")
        register_document_kind("statistics_xlsx", "在籍学生统计（Excel）")
        from reports.jobs import MonthlyReportJob, StatisticsXlsxJob
        from xueji.documents.jobs import register_document_job

        register_document_job(StatisticsXlsxJob())
        register_document_job(MonthlyReportJob("pdf"))
        register_document_job(MonthlyReportJob("xlsx"))
