from django.apps import AppConfig


class SchoolyearConfig(AppConfig):
    name = "schoolyear"
    verbose_name = "毕业、升级、证书"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from schoolyear import home  # noqa: F401  (home panels)
        from schoolyear.kinds import ALL_KINDS
        from schoolyear.views import pupil_actions
        from xueji.approvals.kinds import register_kind
        from xueji.pupils.actions import register_pupil_actions
        from xueji.web.navigation import NavItem, register_nav_item

        followers = frozenset({"registrar", "headmaster", "central_registrar", "county_officer", "city_officer",
                               "province_officer"})
        register_nav_item(NavItem("毕业", "schoolyear:graduation_overview", followers, group="学年"))
        register_nav_item(NavItem("升级", "schoolyear:promotion_overview", followers, group="学年"))
        register_nav_item(NavItem("证书", "schoolyear:certificate_overview", followers, group="学年"))
        for kind in ALL_KINDS:
            register_kind(kind())
        register_pupil_actions(pupil_actions)
        # A change approved before the school's promotion cannot be reversed after it.
        from schoolyear.selectors import promoted_since
        from xueji.approvals.reversal import register_moved_on_check

        register_moved_on_check(promoted_since)
        from xueji.documents.printing import register_document_kind

        register_document_kind("education_proof", "学历证明书")
        register_document_kind("graduate_list", "毕业生名册")
        from schoolyear.jobs import GraduateListJob
        from xueji.documents.jobs import register_document_job

        register_document_job(GraduateListJob())
        # Kept for the verification of the spreadsheets exported before it became an export kind.
        register_document_kind("certificate_numbers_xlsx", "义务教育证书编号表（Excel）")
        # The certificate numbers (names and 学籍号) leave through an export request (xueji/exports).
        from schoolyear.exports import CertificateNumbersExportKind
        from xueji.exports.registry import register_export_kind

        register_export_kind(CertificateNumbersExportKind())
