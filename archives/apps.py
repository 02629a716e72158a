from django.apps import AppConfig


class ArchivesConfig(AppConfig):
    name = "archives"
    verbose_name = "档案"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from archives import demo, home  # noqa: F401  (home panels)
        from archives.cancellation import ALL_KINDS as CANCELLATION_KINDS
        from archives.cancellation_views import pupil_actions as cancellation_pupil_actions
        from xueji.approvals.kinds import register_kind
        from xueji.demo import register_demo_loader
        from xueji.pupils.actions import register_pupil_actions
        from xueji.web.navigation import NavItem, register_nav_item

        everyone = frozenset({"registrar", "headmaster", "central_registrar", "county_officer", "city_officer", "province_officer"})
        register_nav_item(NavItem("档案移交", "handover_list", everyone, group="档案"))
        register_nav_item(NavItem("注销学籍", "cancellation_list", everyone))
        for kind in CANCELLATION_KINDS:
            register_kind(kind())
        register_pupil_actions(cancellation_pupil_actions)
        register_demo_loader(demo.load)
        # The paper archive and the semester audit (学籍核查): pages, the pupil page's link, demo.
        from archives import paper_demo
        from archives.paper_views import pupil_actions as paper_pupil_actions

        register_nav_item(NavItem("纸质档案", "paper_overview", everyone, group="档案"))
        register_nav_item(NavItem("学籍核查", "rollcall_overview", everyone | {"head_teacher"}, group="档案"))
        register_pupil_actions(paper_pupil_actions)
        register_demo_loader(paper_demo.load)
        from xueji.documents.printing import register_document_kind

        register_document_kind("rollcall_report", "学籍核查报告")
