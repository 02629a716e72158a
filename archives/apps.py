from django.apps import AppConfig


class ArchivesConfig(AppConfig):
    name = "archives"
    verbose_name = "档案"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from archives import home  # noqa: F401  (home panels)
        from archives.paper.views import pupil_actions as paper_pupil_actions
        from xueji.documents.printing import register_document_kind
        from xueji.pupils.actions import register_pupil_actions
        from xueji.web.navigation import NavItem, register_nav_item

        everyone = frozenset({"registrar", "headmaster", "central_registrar", "county_officer", "city_officer", "province_officer"})
        register_nav_item(NavItem("档案移交", "archives:handover_list", everyone, group="档案"))
        # The paper archive and the semester audit (学籍核查): pages and the pupil page's link.
        register_nav_item(NavItem("纸质档案", "archives:paper_overview", everyone, group="档案"))
        register_nav_item(NavItem("学籍核查", "archives:rollcall_overview", everyone | {"head_teacher"}, group="档案"))
        register_pupil_actions(paper_pupil_actions)
        register_document_kind("rollcall_report", "学籍核查报告")
        from archives.rollcall.jobs import RollCallReportJob
        from xueji.documents.jobs import register_document_job

        register_document_job(RollCallReportJob())
        # A pupil who changed school takes the paper archive along (the engine's signal).
        from archives.handover.receivers import open_handover_when_pupil_changed_school
        from xueji.approvals.signals import request_approved

        request_approved.connect(open_handover_when_pupil_changed_school, dispatch_uid="archives.handover")
        # The hand-over shown with the request elsewhere (the sending school's copy of the pupil).
        from archives.handover.services import handover_facts
        from xueji.approvals.request_facts import register_request_facts

        register_request_facts(handover_facts)
