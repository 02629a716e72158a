from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "changes"
    verbose_name = "信息变更"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from changes.kinds import ALL_KINDS
        from changes.views import pupil_actions
        from xueji.approvals.kinds import register_kind
        from xueji.pupils.actions import register_pupil_actions
        from xueji.web.navigation import NavItem, register_nav_item

        everyone = frozenset({"registrar", "headmaster", "central_registrar", "county_officer", "city_officer", "province_officer"})
        register_nav_item(NavItem("信息变更", "changes:info_change_list", everyone))
        for kind in ALL_KINDS:
            register_kind(kind())
        register_pupil_actions(pupil_actions)
