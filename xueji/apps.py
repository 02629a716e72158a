from django.apps import AppConfig
from django.db.models.signals import post_migrate


class XuejiConfig(AppConfig):
    name = "xueji"
    verbose_name = "学籍"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from xueji.accounts import (
            credentials,  # noqa: F401  (sessions and tokens end with the password, the account)
            signals,  # noqa: F401  (audit of permission changes)
        )
        from xueji.approvals.kinds import register_kind
        from xueji.approvals.reversal import ALL_KINDS as REVERSAL_KINDS
        from xueji.pupils import signals as pupil_signals  # noqa: F401  (the rules' division cache)

        for kind in REVERSAL_KINDS:
            register_kind(kind())

        # Exports of personal data leave only through a request (xueji/exports); the apps register
        # their export kinds (register_export_kind) from their own ready().
        from xueji.accounts.models.audit import AUDIT_ACTIONS
        from xueji.exports.kind import ExportRequestKind
        from xueji.web.navigation import NavItem, register_nav_item

        register_kind(ExportRequestKind())
        from xueji.documents.exports import RosterExportKind, SchoolCardsExportKind
        from xueji.exports.registry import register_export_kind

        register_export_kind(RosterExportKind())
        register_export_kind(SchoolCardsExportKind())
        from xueji.exports.audit_log import AuditLogExportKind

        register_export_kind(AuditLogExportKind())
        AUDIT_ACTIONS.update({
            "export.request": "申请导出数据", "export.decide": "审批数据导出", "export.file_made": "生成导出文件",
            "export.download": "下载导出文件", "export.download_refused": "拒绝下载导出文件",
        })
        register_nav_item(NavItem("数据导出", "exports:export_list", frozenset({
            "registrar", "headmaster", "central_registrar", "county_officer", "city_officer", "province_officer"}),
            group="文书统计"))

        # Heavy documents a worker prints (xueji/documents/jobs.py); the apps register theirs.
        from xueji.documents.cards import ClassCardsJob
        from xueji.documents.jobs import register_document_job
        from xueji.documents.rosters import ClassRosterJob

        register_document_job(ClassCardsJob())
        register_document_job(ClassRosterJob())
        AUDIT_ACTIONS.update({"document.job": "生成文书（后台任务）", "document.download": "下载文书"})

        # 打印学籍卡 on the pupil's page (xueji/documents/views.py).
        from xueji.documents.views import pupil_actions as card_actions
        from xueji.pupils.actions import register_pupil_actions

        register_pupil_actions(card_actions)

        post_migrate.connect(ensure_divisions, sender=self)


def ensure_divisions(sender, using="default", **kwargs) -> None:
    """The GB/T 2260 divisions are reference data: put them back whenever a flush emptied the
    table (Django emits post_migrate after a flush, as for content types). Migration 0002 loads
    them on a new database."""
    from xueji.accounts.divisions import load_divisions
    from xueji.accounts.models import Division

    if not Division.objects.using(using).exists():
        load_divisions(Division)
