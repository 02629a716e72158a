from django.apps import AppConfig


class SpecialEducationConfig(AppConfig):
    name = "special_education"
    verbose_name = "特殊教育"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from special_education.kinds import GradeDownKind
        from special_education.views import pupil_actions
        from xueji.approvals.kinds import register_kind
        from xueji.pupils.actions import register_pupil_actions
        from xueji.web.navigation import NavItem, register_nav_item

        everyone = frozenset({"registrar", "headmaster", "central_registrar", "county_officer", "city_officer", "province_officer"})
        register_nav_item(NavItem("降级", "special_education:grade_down_list", everyone))
        register_kind(GradeDownKind())
        register_pupil_actions(pupil_actions)
