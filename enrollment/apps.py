from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = "新生建籍"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from enrollment.intake.kinds import EnrolmentKind
        from enrollment.intake.late import LateEnrolmentKind
        from xueji.approvals.kinds import register_kind
        from xueji.web.navigation import NavItem, register_nav_item

        register_kind(EnrolmentKind())
        from enrollment.intake.jobs import EnrolmentInfoSheetsJob
        from xueji.documents.jobs import register_document_job

        register_document_job(EnrolmentInfoSheetsJob())
        register_kind(LateEnrolmentKind())
        # The national export leaves only through an approved export request (xueji/exports).
        from enrollment.national.exports import NationalExportKind
        from xueji.exports.registry import register_export_kind

        register_export_kind(NationalExportKind())
        # Key rotation re-encrypts the uploads' bytes kept in the database too.
        from enrollment.intake.retention import rotate_import_contents
        from xueji.key_rotation import RotationStep, register_rotation_step

        register_rotation_step(RotationStep(
            "enrolment_uploads", "数据库中的新生信息上传文件",
            lambda *, batch_size, max_batches, report: rotate_import_contents(batch_size=batch_size),
        ))  # fmt: skip
        from xueji.accounts.models.audit import AUDIT_ACTIONS

        AUDIT_ACTIONS.update({
            "enrolment.upload": "上传新生信息", "enrolment.import": "导入新生", "enrolment.entry_add": "填写新生信息",
            "enrolment.entry_edit": "修改新生信息", "enrolment.entry_delete": "删除新生", "enrolment.classes": "新建班级",
            "enrolment.assign": "新生分班", "enrolment.balance": "新生均衡分班",
            "enrolment.identity_confirm": "确认新生身份", "enrolment.pull": "学前调档",
            "enrolment.visit": "登记借读", "enrolment.visit_end": "结束借读", "admission.import": "导入录取名单", "admission.arrived": "登记新生报到",
            "national.export": "导出国家系统上报文件", "national.numbers": "导入国家系统学籍号", "pupil.number": "变更学籍号",
        })
        register_nav_item(NavItem("新生建籍", "enrollment:enrolment_home", frozenset({"registrar", "headmaster"}), group="新生"))
        bureaus = frozenset({"county_officer", "city_officer", "province_officer"})
        register_nav_item(NavItem("新生建籍", "enrollment:enrolment_bureau", bureaus, group="新生"))
        register_nav_item(NavItem("录取名单", "enrollment:admission_consistency", bureaus, group="新生"))
        register_nav_item(NavItem("录取名单", "enrollment:admission_school", frozenset({"registrar"}), group="新生"))
        register_nav_item(NavItem("上报检查", "enrollment:national_readiness", frozenset({"registrar", "headmaster"}) | bureaus, group="新生"))
