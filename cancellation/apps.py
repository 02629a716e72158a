from django.apps import AppConfig


class CancellationConfig(AppConfig):
    name = "cancellation"
    verbose_name = "注销学籍"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cancellation.kinds import ALL_KINDS
        from cancellation.views import pupil_actions
        from xueji.approvals.kinds import register_kind
        from xueji.pupils.actions import register_pupil_actions
        from xueji.web.navigation import NavItem, register_nav_item

        everyone = frozenset({"registrar", "headmaster", "central_registrar", "county_officer", "city_officer", "province_officer"})
        register_nav_item(NavItem("注销学籍", "cancellation:cancellation_list", everyone))
        for kind in ALL_KINDS:
            register_kind(kind())
        register_pupil_actions(pupil_actions)
