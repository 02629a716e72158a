from django.apps import AppConfig


class DropoutsConfig(AppConfig):
    name = "dropouts"
    verbose_name = "辍学与劝返"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.urls import NoReverseMatch, reverse

        from dropouts.views import pupil_actions
        from xueji.context_processors import NavItem, register_nav_item
        from xueji.pupil_actions import register_pupil_actions

        class WiredNavItem(NavItem):
            """Shown once the site's urls.py includes dropouts.urls: before that, a nav entry
            that cannot be reversed would break every page of the site."""

            def visible_for(self, roles: set[str]) -> bool:
                try:
                    reverse(self.url_name)
                except NoReverseMatch:
                    return False
                return super().visible_for(roles)

        register_pupil_actions(pupil_actions)
        register_nav_item(WiredNavItem("控辍保学", "dropout_list", frozenset({"registrar", "headmaster"})))
        register_nav_item(WiredNavItem("控辍保学", "dropout_bureau", frozenset({
            "central_registrar", "county_officer", "city_officer", "province_officer",
        })))
