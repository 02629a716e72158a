from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = "新生建籍"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from enrollment.kinds import EnrolmentKind
        from xueji.approval_kinds import register_kind
        from xueji.context_processors import NavItem, register_nav_item

        register_kind(EnrolmentKind())
        register_nav_item(NavItem("新生建籍", "enrolment_home", frozenset({"registrar", "headmaster"})))
        register_nav_item(NavItem("新生建籍", "enrolment_bureau", frozenset({"county_officer", "city_officer", "province_officer"})))
