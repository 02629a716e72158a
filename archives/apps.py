from django.apps import AppConfig


class ArchivesConfig(AppConfig):
    name = "archives"
    verbose_name = "档案"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from archives import home  # noqa: F401  (home panels)
        from xueji.context_processors import NavItem, register_nav_item

        register_nav_item(NavItem("档案移交", "handover_list", frozenset({"registrar", "headmaster", "central_registrar", "county_officer", "city_officer", "province_officer"})))
