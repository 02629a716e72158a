"""The national-system export as an export request (xueji/exports): the records of a school or a
county in the national template's layout, made by the worker after the bureau's leader approved,
ID numbers, 学籍号, phones, e-mail, postcodes and addresses masked unless full values were granted.

Who may ask: the roles that may export today (registrar and headmaster for their school, the county
officer for the county or one of its schools: EXPORT_ROLES). The scope is checked again when the
file is made, for the requester as they are then."""

from enrollment.national.services import EXPORT_HEADERS, EXPORT_KEYS, national_export_xlsx
from enrollment.national.views import EXPORT_ROLES, SCHOOL_READ_ROLES
from xueji.accounts.models import Membership, User
from xueji.accounts.scoping import NotInScope, get_school_for_user, schools_visible_to
from xueji.exports.registry import ExportField, ExportJob, ExportKind, ExportOutput, ExportScope
from xueji.pupils.scoping import pupils_visible_to

# The fields offered: every column of the file, named as its header without the "*".
_LABELS = {key: header.lstrip("*") for key, header in zip(EXPORT_KEYS, EXPORT_HEADERS, strict=True)}
# What is masked unless full values are granted, by the kind of mask (xueji.exports.masking.mask):
# the pupil's and the family members' ID numbers, phones and addresses, the pupil's 学籍号, 身份证件
# 有效期, e-mail and postcode (the masking policy's groups of them, xueji.pupils.visibility).
_PERSONAL = {
    "student_number": "number", "id_number": "id", "id_validity": "validity",
    "address": "address", "mailing_address": "address", "home_address": "address", "postcode": "postcode",
    "phone": "phone", "email": "email",
    **{f"guardian{n}_{key}": personal for n in (1, 2)
       for key, personal in (("id_number", "id"), ("phone", "phone"), ("address", "address"))},
}


class NationalExportKind(ExportKind):
    code = "national"
    label = "国家学籍系统上报文件"
    roles = frozenset(EXPORT_ROLES)

    def fields(self) -> list[ExportField]:
        return [ExportField(key, _LABELS[key], _PERSONAL.get(key, "")) for key in EXPORT_KEYS]

    def scope_choices(self, user: User, membership: Membership) -> list[tuple[str, str]]:
        if membership.role in SCHOOL_READ_ROLES:
            return [("", membership.unit.name)]
        schools = schools_visible_to(user).filter(path__startswith=membership.unit.path).order_by("path")
        return [("", f"{membership.unit.name}（全部学校）"), *((str(s.pk), s.name) for s in schools)]

    def scope_resolve(self, user: User, membership: Membership, value: str) -> ExportScope:
        value = str(value or "").strip()
        unit = membership.unit
        if membership.role in SCHOOL_READ_ROLES:
            if value and value != str(unit.pk):
                raise NotInScope("没有找到这所学校，或您无权查看。", what="unit", object_id=value)
            return ExportScope("", unit, unit.name)
        if not value:
            return ExportScope("", unit, unit.name)
        school = get_school_for_user(user, value)
        if not school.path.startswith(unit.path):
            raise NotInScope("没有找到这所学校，或您无权查看。", what="unit", object_id=value)
        return ExportScope(str(school.pk), school, school.name)

    def write(self, job: ExportJob) -> ExportOutput:
        by_key = {f.key: f for f in self.fields()}
        pupils = pupils_visible_to(job.requester).filter(school__path__startswith=job.scope.unit.path)
        content, rows = national_export_xlsx(pupils, keys=job.fields, cell=lambda key, text: job.value(by_key[key], text))
        return ExportOutput(content, rows)
