from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "transfers"
    verbose_name = "转学"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from transfers import kinds
        from xueji.approvals.kinds import register_kind
        from xueji.web.navigation import NavItem, register_nav_item

        for kind in (kinds.TransferKind(), kinds.StudyAbroadKind(), kinds.AbroadReturnKind(), kinds.TransferOutKind()):
            register_kind(kind)
        from transfers.views import pupil_actions
        from xueji.pupils.actions import register_pupil_actions

        register_pupil_actions(pupil_actions)
        # The sending school's copies of its pupils who left, and the bureaus above it.
        register_nav_item(NavItem("已转出学生", "transfers:left_list", frozenset({
            "registrar", "headmaster", "central_registrar", "county_officer", "city_officer", "province_officer"})))
        from transfers.printing import LETTER_KIND
        from xueji.documents.printing import register_document_kind

        register_document_kind(LETTER_KIND, "转学联系函")
        register_nav_item(NavItem("转学", "transfers:transfer_list", frozenset({"registrar", "headmaster", "central_registrar", "county_officer", "city_officer", "province_officer"})))
