from django.apps import AppConfig


class DropoutsConfig(AppConfig):
    name = "dropouts"
    verbose_name = "辍学与劝返"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dropouts.views import pupil_actions
        from xueji.pupils.actions import register_pupil_actions
        from xueji.web.navigation import NavItem, register_nav_item

        register_pupil_actions(pupil_actions)
        register_nav_item(NavItem("控辍保学", "dropouts:dropout_list", frozenset({"registrar", "headmaster"})))
        register_nav_item(NavItem("控辍保学", "dropouts:dropout_bureau", frozenset({
            "central_registrar", "county_officer", "city_officer", "province_officer",
        })))
