from django.apps import AppConfig


class SuspensionsConfig(AppConfig):
    name = "suspensions"
    verbose_name = "休学、复学、缓学"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from suspensions.kinds import ALL_KINDS
        from suspensions.views import pupil_actions
        from xueji.approvals.kinds import register_kind
        from xueji.pupils.actions import register_pupil_actions
        from xueji.web.navigation import NavItem, register_nav_item

        for kind in ALL_KINDS:
            register_kind(kind())
        register_pupil_actions(pupil_actions)
        register_nav_item(NavItem("休学复学", "suspensions:suspension_list", frozenset({
            "registrar", "headmaster", "central_registrar", "county_officer", "city_officer", "province_officer",
        })))
        register_nav_item(NavItem("在籍异常", "suspensions:suspension_limbo", frozenset({"county_officer", "city_officer", "province_officer"})))
