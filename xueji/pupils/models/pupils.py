"""The pupil's record: identity, guardians, 学籍号 history, status history, problem records.

Writes go through the services in ``xueji/pupils/services.py`` (validation, dedupe, numbers,
audit); pghistory's triggers keep every version of a pupil and a guardian, bulk writes included,
so the record can be shown as it stood on any past date.
"""

import pghistory
import pgtrigger
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Substr

from xueji.codes import (
    GRADE_CHOICES,
    Boarding,
    CommuteMode,
    Disability,
    DisabilityPlacement,
    EntryMode,
    Ethnicity,
    Gender,
    GuardianRelation,
    Health,
    HukouType,
    IdType,
    LeftBehind,
    NumberKind,
    OverseasStatus,
    PoliticalStatus,
    PupilSource,
    PupilStatus,
)
from xueji.collation import NAME_SORT_MAX_LENGTH
from xueji.encrypted_fields import BlindIndexedQuerySet, BlindIndexedSaveMixin, BlindIndexField, EncryptedCharField
from xueji.files.storage import private_upload_path

# Fields that never make a history entry of their own (the blind indexes follow their encrypted
# column, which the history keeps, encrypted).
UNTRACKED_PUPIL_FIELDS = [
    "updated_at", "search_pinyin", "search_initials", "name_sort", "id_number_index", "disability_index",
    "disability_placement_index",
]


def name_bigrams() -> Func:
    """The pairs of adjacent characters of the name, as an array: "王浩然" → {王浩,浩然,然} (the
    last character also comes alone, which no two-character search matches). It is what the index
    pupil_school_name_bigrams holds: a search for two characters has no trigram for pupil_name_trgm,
    and "name contains 浩然" is exactly "浩然 is one of its pairs" (xueji.pupils.selectors.pupil_search).

    Built from immutable built-in functions, as an index expression must be: every character
    doubled ("王王浩浩然然"), the first one dropped ("王浩浩然然"), cut after every second one."""
    doubled = Func(F("name"), Value("(.)"), Value("\\1\\1"), Value("g"), function="regexp_replace")
    paired = Func(Substr(doubled, 2), Value("(..)"), Value("\\1,"), Value("g"), function="regexp_replace")
    return Func(paired, Value(","), function="string_to_array", output_field=ArrayField(models.TextField()))


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(condition=pghistory.AnyChange(exclude=UNTRACKED_PUPIL_FIELDS)),
    exclude=UNTRACKED_PUPIL_FIELDS,
    model_name="PupilEvent",
    append_only=True,
    # A pupil's grade on a past day (reports.history: the monthly report's rolls) from the index
    # alone: the snapshots themselves hold the whole record, a heap page each.
    meta={"indexes": [models.Index(fields=["pgh_obj", "pgh_created_at", "pgh_id"], include=["grade"],
                                   name="pupilevent_grade_history")]},
)
class Pupil(BlindIndexedSaveMixin, models.Model):
    # Identity
    name = models.CharField("姓名", max_length=50)
    former_name = models.CharField("曾用名", max_length=50, blank=True)
    pinyin = models.CharField("姓名拼音", max_length=120, blank=True)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    birth_date = models.DateField("出生日期")
    birthplace = models.ForeignKey(
        "xueji.Division", verbose_name="出生地", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    native_place = models.ForeignKey(
        "xueji.Division", verbose_name="籍贯", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ethnicity = models.CharField("民族", max_length=2, choices=Ethnicity.choices, default=Ethnicity.HAN)
    nationality = models.CharField("国籍/地区", max_length=3, default="CHN")
    id_type = models.CharField("身份证件类型", max_length=1, choices=IdType.choices, default=IdType.RESIDENT_ID)
    # Encrypted in its column (xueji.encrypted_fields); looked up by its blind index below.
    id_number = EncryptedCharField("身份证件号", max_length=30, blank=True)
    id_number_index = BlindIndexField(source="id_number", purpose="pupil.id_number")
    overseas_status = models.CharField("港澳台侨外", max_length=2, choices=OverseasStatus.choices, default=OverseasStatus.NO)
    political_status = models.CharField(
        "政治面貌", max_length=2, choices=PoliticalStatus.choices, default=PoliticalStatus.MASSES,
        db_default=PoliticalStatus.MASSES.value,
    )
    # "20200601-20300601" or "20200601-长期" (xueji.pupils.rules.clean_id_validity).
    id_validity = models.CharField("身份证件有效期", max_length=20, blank=True, default="", db_default="")
    specialty = models.CharField("特长", max_length=100, blank=True, default="", db_default="")
    # Numbers of the school and the province (2025 办法: a province may keep its own number).
    auxiliary_number = models.CharField("学籍辅号", max_length=30, blank=True, default="", db_default="")
    class_number = models.CharField("班内学号", max_length=10, blank=True, default="", db_default="")
    source = models.CharField("学生来源", max_length=1, choices=PupilSource.choices, default=PupilSource.NORMAL,
                              db_default=PupilSource.NORMAL.value)
    # Household registration and address
    hukou_division = models.ForeignKey(
        "xueji.Division", verbose_name="户口所在地", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hukou_type = models.CharField("户口性质", max_length=1, choices=HukouType.choices, blank=True)
    hukou_address = EncryptedCharField("户籍地址", max_length=200, blank=True)
    address = EncryptedCharField("现住址", max_length=200, blank=True)
    # Contact (联系信息 of the national form), encrypted like the address.
    mailing_address = EncryptedCharField("通信地址", max_length=200, blank=True, default="", db_default="")
    home_address = EncryptedCharField("家庭地址", max_length=200, blank=True, default="", db_default="")
    phone = EncryptedCharField("联系电话", max_length=20, blank=True, default="", db_default="")
    postcode = models.CharField("邮政编码", max_length=6, blank=True, default="", db_default="")
    email = EncryptedCharField("电子信箱", max_length=100, blank=True, default="", db_default="")
    homepage = models.CharField("主页地址", max_length=200, blank=True, default="", db_default="")
    # Health and circumstances (encrypted; the statistics count disability by its blind index)
    health = EncryptedCharField("健康状况", max_length=2, choices=Health.choices, default=Health.GOOD)
    disability = EncryptedCharField("残疾类型", max_length=1, choices=Disability.choices, default=Disability.NONE)
    disability_index = BlindIndexField(source="disability", purpose="pupil.disability", normalize="code")
    disability_placement = EncryptedCharField(
        "残疾学生就读方式", max_length=1, choices=DisabilityPlacement.choices, blank=True, default=""
    )
    # The pupil list's 送教上门 filter and the statistics' counts of each placement look it up here.
    disability_placement_index = BlindIndexField(
        source="disability_placement", purpose="pupil.disability_placement", normalize="code"
    )
    entry_mode = models.CharField("入学方式", max_length=1, choices=EntryMode.choices, default=EntryMode.NEARBY)
    boarding = models.CharField("就读方式", max_length=1, choices=Boarding.choices, default=Boarding.DAY)
    left_behind = models.CharField("留守儿童", max_length=1, choices=LeftBehind.choices, default=LeftBehind.NO)
    migrant_child = models.BooleanField("进城务工人员随迁子女", default=False)
    only_child = models.BooleanField("独生子女", default=False)
    orphan = models.BooleanField("孤儿", default=False)
    # Items the national system requires that older records never asked: None is "not yet known"
    # (the readiness check lists it), never an error that blocks other work.
    preschool = models.BooleanField("是否受过学前教育", null=True, blank=True)
    martyr_child = models.BooleanField("是否烈士或优抚子女", null=True, blank=True)
    government_place = models.BooleanField("是否由政府购买学位", null=True, blank=True)
    needs_aid = models.BooleanField("是否需要申请资助", null=True, blank=True)
    one_subsidy = models.BooleanField("是否享受一补", null=True, blank=True)
    # 交通方式
    distance_km = models.DecimalField("上下学距离（公里）", max_digits=5, decimal_places=1, null=True, blank=True)
    commute_mode = models.CharField("上下学方式", max_length=1, choices=CommuteMode.choices, blank=True, default="", db_default="")
    school_bus = models.BooleanField("是否需要乘坐校车", null=True, blank=True)
    photo = models.ImageField("照片", upload_to=private_upload_path, blank=True)
    # School
    school = models.ForeignKey("xueji.School", verbose_name="学校", on_delete=models.PROTECT, related_name="pupils")
    school_class = models.ForeignKey(
        "xueji.SchoolClass", verbose_name="班级", null=True, blank=True, on_delete=models.PROTECT, related_name="pupils"
    )
    grade = models.PositiveSmallIntegerField("年级", choices=GRADE_CHOICES)
    entry_date = models.DateField("入学日期")
    status = models.CharField("学籍状态", max_length=20, choices=PupilStatus.choices, default=PupilStatus.ENROLLED)
    student_number = models.CharField("学籍号", max_length=19, unique=True)
    # A record deleted as a problem record (删除) stays, visible to the bureau only.
    deleted_at = models.DateTimeField("删除时间", null=True, blank=True)
    # Search keys derived from the name: "zhangwei" and "zw" (lower case, no spaces).
    search_pinyin = models.CharField(max_length=120, blank=True, editable=False)
    search_initials = models.CharField(max_length=30, blank=True, editable=False)
    # The name's pinyin order as a string compared byte by byte (xueji.collation.name_sort_key):
    # every list of pupils sorts by it, in the "C" collation so that no database locale (nor the
    # ICU that the embedded PostgreSQL lacks) changes the order.
    name_sort = models.CharField(max_length=NAME_SORT_MAX_LENGTH, blank=True, editable=False, db_collation="C")
    created_at = models.DateTimeField("建档时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    # update() and bulk_update() keep the blind indexes in step too.
    objects = BlindIndexedQuerySet.as_manager()

    class Meta:
        verbose_name = "学生"
        verbose_name_plural = "学生"
        ordering = ["school_id", "grade", "school_class_id", "name_sort", "name", "id"]
        constraints = [
            # One live record per ID number: two schools registering the same child at the same
            # moment cannot both succeed (the second insert waits for the first and then fails).
            # On the blind index of the number, as the encrypted column differs for equal numbers.
            models.UniqueConstraint(
                fields=["id_type", "id_number_index"],
                condition=Q(deleted_at__isnull=True) & ~Q(id_number_index=""),
                name="pupil_live_id_number_unique",
                violation_error_message="系统中已有使用该身份证件号的学籍，同一学生不能重复建籍。",
            ),
            models.CheckConstraint(
                condition=Q(grade__gte=1, grade__lte=9), name="pupil_grade_1_to_9",
                violation_error_message="年级应为一至九年级。",
            ),
        ]
        indexes = [
            GinIndex(OpClass("name", name="gin_trgm_ops"), name="pupil_name_trgm"),
            # Led by the school (btree_gin) for the same reason as the pinyin indexes below: a
            # county's two-character search reads its schools' matches, not the province's. A
            # search over more schools uses the name's pairs alone (GIN: any of its columns).
            GinIndex(F("school"), name_bigrams(), name="pupil_school_name_bigrams"),
            # Pinyin searches, per school as the 学籍号 below (the search lists the scope's schools,
            # xueji.pupils.selectors.pupil_search): on the columns alone, a city's search read every
            # match of the province, a cost that grew with the table rather than with the scope.
            models.Index(F("school"), OpClass("search_pinyin", name="varchar_pattern_ops"), name="pupil_school_pinyin"),
            models.Index(F("school"), OpClass("search_initials", name="varchar_pattern_ops"),
                         name="pupil_school_initials"),
            # The same searches over more schools than a list of them pays for (a province: 8,000
            # schools listed took 70 ms to plan and one probe of each index per school): on the
            # prefix alone. Each carries what a count of its matches reads (the school for the
            # scope, the id, and for the initials the pinyin the count excludes), so that a count
            # reads the index only (PinyinSearchResults).
            models.Index(fields=["search_pinyin"], opclasses=["varchar_pattern_ops"], include=["school", "id"],
                         name="pupil_pinyin_prefix"),
            models.Index(fields=["search_initials"], opclasses=["varchar_pattern_ops"],
                         include=["school", "id", "search_pinyin"], name="pupil_initials_prefix"),
            # The records deleted in a month (the monthly report's 删除 list): a few among millions.
            # Without it the report read the whole table for them (11 s at 10,000,000 pupils).
            models.Index(fields=["deleted_at"], condition=Q(deleted_at__isnull=False), name="pupil_deleted_at"),
            # 学籍号 searches, per school: every list is limited to the schools in the user's scope,
            # so each school is one short probe of this index. On the column alone, a prefix search
            # made PostgreSQL walk the scope in list order looking for matches that sit in a few
            # schools only: 100-400 ms for a city. (Django's own index for the unique
            # student_number still serves a search over all schools.)
            models.Index(F("school"), OpClass("student_number", name="varchar_pattern_ops"), name="pupil_school_number"),
            # Dedupe and the search by a full ID number look the blind index up across the whole
            # system (the number itself is encrypted: a search by its first digits is gone).
            models.Index(fields=["id_number_index"], name="pupil_id_number"),
            models.Index(fields=["name", "gender", "birth_date"], name="pupil_identity"),
            # The list's order (school, grade, class, name in pinyin order, id): a page of a large
            # scope is read from the index in order, and counts that filter by name need not visit the
            # table.
            models.Index(fields=["school", "grade", "school_class", "name_sort", "name", "id"], name="pupil_list_order"),
            # Per school and status (every status filter of a school's lists uses the key), with
            # the columns the statistics count (reports.statistics) included: a bureau's page then
            # reads its pupils from this index alone instead of visiting about one table page per
            # pupil (county, 50,000 pupils: 159 → 53 ms a page, benchmarks/statistics_pages.py).
            # It replaced a plain (school, status) index rather than adding one, as each index
            # costs every write; updates of the included columns can no longer be HOT updates.
            # The class is left out: a school's ~1,000 pupils are read from the table in a few ms,
            # and it would make the index a third bigger. A column counted there must be here too.
            models.Index(
                fields=["school", "status"],
                include=["grade", "gender", "ethnicity", "left_behind", "migrant_child", "hukou_type",
                         "disability_index", "disability_placement_index", "deleted_at", "preschool", "needs_aid",
                         "school_bus"],
                name="pupil_school_status_counts",
            ),
        ]
        # Statement triggers on this table (migration 0027) keep the statistics' counts per school
        # and grade: xueji.pupils.models.counts.RollCount.

    def __str__(self) -> str:
        return self.name

    @property
    def has_id_number(self) -> bool:
        return bool(self.id_number) and self.id_type != IdType.NONE


@pghistory.track(
    pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), model_name="GuardianEvent",
    append_only=True,
)
class Guardian(models.Model):
    """A member of the pupil's family (家庭成员, the national form's 成员1 and 成员2). Most are
    guardians (是否监护人): a pupil has at least one, and every guardian's record is complete; a
    member who is not a guardian needs only the relation and the name."""

    pupil = models.ForeignKey(Pupil, verbose_name="学生", on_delete=models.CASCADE, related_name="guardians")
    position = models.PositiveSmallIntegerField("顺序", default=1)
    relation = models.CharField("关系", max_length=2, choices=GuardianRelation.choices)
    relation_note = models.CharField("关系说明", max_length=50, blank=True, default="", db_default="")
    name = models.CharField("姓名", max_length=50)
    is_guardian = models.BooleanField("是否监护人", default=True, db_default=True)
    id_type = models.CharField(
        "身份证件类型", max_length=1, choices=IdType.choices, default=IdType.RESIDENT_ID, blank=True
    )
    # Encrypted; nothing looks a guardian up by ID number or phone, so neither has a blind index.
    id_number = EncryptedCharField("身份证件号", max_length=30, blank=True)
    phone = EncryptedCharField("联系电话", max_length=20, blank=True)
    address = EncryptedCharField("现住址", max_length=200, blank=True, default="", db_default="")
    ethnicity = models.CharField("民族", max_length=2, choices=Ethnicity.choices, blank=True, default="", db_default="")
    workplace = models.CharField("工作单位", max_length=100, blank=True)
    job_title = models.CharField("职务", max_length=50, blank=True, default="", db_default="")
    hukou_division = models.ForeignKey(
        "xueji.Division", verbose_name="户口所在地", null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "监护人"
        verbose_name_plural = "监护人"
        ordering = ["pupil_id", "position"]
        constraints = [models.UniqueConstraint(fields=["pupil", "position"], name="guardian_unique_position")]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_relation_display()}）"


class StudentNumber(models.Model):
    """Every 学籍号 a pupil has held. Rows are never deleted (a database trigger refuses it):
    a G number is never deleted, and every former number stays in the history."""

    pupil = models.ForeignKey(Pupil, verbose_name="学生", on_delete=models.PROTECT, related_name="numbers")
    number = models.CharField("学籍号", max_length=19, unique=True)
    kind = models.CharField("类型", max_length=1, choices=NumberKind.choices)
    assigned_at = models.DateTimeField("启用时间", auto_now_add=True)
    retired_at = models.DateTimeField("停用时间", null=True, blank=True)
    reason = models.CharField("原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "学籍号"
        verbose_name_plural = "学籍号"
        ordering = ["pupil_id", "assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pupil"], condition=Q(retired_at__isnull=True), name="student_number_one_current"
            ),
        ]
        triggers = [pgtrigger.Protect(name="student_number_never_deleted", operation=pgtrigger.Delete)]

    def __str__(self) -> str:
        return self.number


class StatusChange(models.Model):
    """One step of a pupil's status history."""

    pupil = models.ForeignKey(Pupil, verbose_name="学生", on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField("原状态", max_length=20, choices=PupilStatus.choices, blank=True)
    to_status = models.CharField("新状态", max_length=20, choices=PupilStatus.choices)
    effective_date = models.DateField("生效日期")
    reason = models.CharField("原因", max_length=200, blank=True)
    changed_by = models.ForeignKey(
        "xueji.User", verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The approved change request behind it; becomes a foreign key with the approval engine.
    change_request_id = models.BigIntegerField("变动申请", null=True, blank=True)
    school = models.ForeignKey("xueji.School", verbose_name="学校", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "学籍状态变动"
        verbose_name_plural = "学籍状态变动"
        ordering = ["pupil_id", "created_at", "id"]
        # The monthly report's rolls (reports.history) from the indexes alone: a county's pupils
        # by the schools of their steps, then each pupil's steps in order with where they led.
        indexes = [
            models.Index(fields=["school"], include=["pupil"], name="statuschange_school_pupils"),
            models.Index(fields=["pupil", "effective_date", "id"], include=["school", "to_status"],
                         name="statuschange_pupil_steps"),
        ]

    def __str__(self) -> str:
        return f"{self.pupil}：{self.get_from_status_display() or '—'} → {self.get_to_status_display()}"


class ProblemRecord(models.Model):
    """问题学籍: a record that failed a check, until it is resolved by proof (佐证), correction
    (变更) or deletion (删除, the record stays visible to the bureau)."""

    class Kind(models.TextChoices):
        DUPLICATE_ID = "duplicate_id", "身份证件号重复"
        DUPLICATE_IDENTITY = "duplicate_identity", "姓名、性别、出生日期重复"
        INVALID_ID = "invalid_id", "身份证件号无效"

    class Resolution(models.TextChoices):
        OPEN = "", "待处理"
        PROOF = "proof", "佐证"
        CORRECTION = "correction", "变更"
        DELETION = "deletion", "删除"

    pupil = models.ForeignKey(Pupil, verbose_name="学生", on_delete=models.PROTECT, related_name="problems")
    kind = models.CharField("问题类型", max_length=30, choices=Kind.choices)
    other_pupil = models.ForeignKey(
        Pupil, verbose_name="重复的学籍", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detail = models.CharField("说明", max_length=200, blank=True)
    resolution = models.CharField("处理方式", max_length=20, choices=Resolution.choices, blank=True, default="")
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolved_by = models.ForeignKey(
        "xueji.User", verbose_name="处理人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("发现时间", auto_now_add=True)

    class Meta:
        verbose_name = "问题学籍"
        verbose_name_plural = "问题学籍"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.pupil}：{self.get_kind_display()}"


def id_number_index(number: str) -> str:
    """The blind index a pupil's ID number is looked up by: ``filter(id_number_index=id_number_index(x))``
    (normalised as stored: no spaces, upper case; "" for no number)."""
    return Pupil._meta.get_field("id_number_index").lookup_value(number)


def disability_index(code: str) -> str:
    """The blind index of a disability type: ``filter(disability_index=disability_index(code))``."""
    return Pupil._meta.get_field("disability_index").lookup_value(code)


def disability_placement_index(code: str) -> str:
    """The blind index of a placement (随班就读, 送教上门 …):
    ``filter(disability_placement_index=disability_placement_index(DisabilityPlacement.HOME_TEACHING))``."""
    return Pupil._meta.get_field("disability_placement_index").lookup_value(code)


# The event models pghistory generated (history of every version).
PupilEvent = Pupil.events.rel.related_model
GuardianEvent = Guardian.events.rel.related_model


class Sanction(models.Model):
    """纪律处分 of a pupil. While one is in force the pupil cannot transfer."""

    class Kind(models.TextChoices):
        WARNING = "warning", "警告"
        SERIOUS_WARNING = "serious_warning", "严重警告"
        DEMERIT = "demerit", "记过"
        PROBATION = "probation", "留校察看"

    pupil = models.ForeignKey(Pupil, verbose_name="学生", on_delete=models.PROTECT, related_name="sanctions")
    kind = models.CharField("处分", max_length=20, choices=Kind.choices)
    start_date = models.DateField("处分日期")
    end_date = models.DateField("解除日期", null=True, blank=True)
    reason = models.CharField("事由", max_length=200)
    recorded_by = models.ForeignKey("xueji.User", verbose_name="记录人", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "纪律处分"
        verbose_name_plural = "纪律处分"
        ordering = ["pupil_id", "-start_date"]

    def __str__(self) -> str:
        return f"{self.pupil}：{self.get_kind_display()}"
