from django.apps import AppConfig


class DropoutsConfig(AppConfig):
    name = "dropouts"
    verbose_name = "辍学与劝返"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dropouts.views import pupil_actions
        from xueji.pupils.actions import register_pupil_actions
        from xueji.web.navigation import NavItem, register_nav_item

        from dropouts.exports import DropoutLedgersExportKind
        from xueji.documents.printing import register_document_kind
        from xueji.exports.registry import register_export_kind

        register_pupil_actions(pupil_actions)
        register_export_kind(DropoutLedgersExportKind())
        register_document_kind("dropout_monthly", "控辍保学月报")
        register_document_kind("dropout_review", "控辍保学季度审核表")
        register_nav_item(NavItem("控辍保学", "dropouts:dropout_list", frozenset({"registrar", "headmaster"})))
        register_nav_item(NavItem("控辍保学", "dropouts:dropout_bureau", frozenset({
            "central_registrar", "county_officer", "city_officer", "province_officer",
        })))
        ledger_roles = frozenset({"registrar", "headmaster", "central_registrar", "county_officer", "city_officer",
                                  "province_officer"})
        register_nav_item(NavItem("控辍台账", "dropouts:ledger_list", ledger_roles))
        register_nav_item(NavItem("控辍月报", "dropouts:report_list", frozenset({"registrar", "headmaster"}),
                                  group="文书统计"))
        register_nav_item(NavItem("控辍季度审核", "dropouts:review", frozenset({
            "central_registrar", "county_officer", "city_officer", "province_officer",
        }), group="文书统计"))
