"""Code tables of the national data standard (JY/T 1001 and the GB tables it cites).

Codes are what the database stores and what the national system's files carry; labels are what
people read. Nationality (GB/T 2659, the same codes as ISO 3166) comes from pycountry with its
Chinese names, see ``nationality_choices``.
"""

import gettext
from functools import lru_cache

import pycountry
from django.db import models


class Gender(models.TextChoices):
    """性别 (GB/T 2261.1)."""

    MALE = "1", "男"
    FEMALE = "2", "女"


class Ethnicity(models.TextChoices):
    """民族 (GB 3304)."""

    HAN = "01", "汉族"
    MONGOL = "02", "蒙古族"
    HUI = "03", "回族"
    TIBETAN = "04", "藏族"
    UYGHUR = "05", "维吾尔族"
    MIAO = "06", "苗族"
    YI = "07", "彝族"
    ZHUANG = "08", "壮族"
    BUYEI = "09", "布依族"
    KOREAN = "10", "朝鲜族"
    MANCHU = "11", "满族"
    DONG = "12", "侗族"
    YAO = "13", "瑶族"
    BAI = "14", "白族"
    TUJIA = "15", "土家族"
    HANI = "16", "哈尼族"
    KAZAKH = "17", "哈萨克族"
    DAI = "18", "傣族"
    LI = "19", "黎族"
    LISU = "20", "傈僳族"
    VA = "21", "佤族"
    SHE = "22", "畲族"
    GAOSHAN = "23", "高山族"
    LAHU = "24", "拉祜族"
    SUI = "25", "水族"
    DONGXIANG = "26", "东乡族"
    NAXI = "27", "纳西族"
    JINGPO = "28", "景颇族"
    KYRGYZ = "29", "柯尔克孜族"
    TU = "30", "土族"
    DAUR = "31", "达斡尔族"
    MULAO = "32", "仫佬族"
    QIANG = "33", "羌族"
    BLANG = "34", "布朗族"
    SALAR = "35", "撒拉族"
    MAONAN = "36", "毛南族"
    GELAO = "37", "仡佬族"
    XIBE = "38", "锡伯族"
    ACHANG = "39", "阿昌族"
    PUMI = "40", "普米族"
    TAJIK = "41", "塔吉克族"
    NU = "42", "怒族"
    UZBEK = "43", "乌孜别克族"
    RUSSIAN = "44", "俄罗斯族"
    EWENKI = "45", "鄂温克族"
    DEANG = "46", "德昂族"
    BONAN = "47", "保安族"
    YUGUR = "48", "裕固族"
    GIN = "49", "京族"
    TATAR = "50", "塔塔尔族"
    DERUNG = "51", "独龙族"
    OROQEN = "52", "鄂伦春族"
    HEZHEN = "53", "赫哲族"
    MONBA = "54", "门巴族"
    LHOBA = "55", "珞巴族"
    JINO = "56", "基诺族"
    OTHER = "97", "其他"
    FOREIGN_ORIGIN = "98", "外国血统中国籍人士"


class IdType(models.TextChoices):
    """身份证件类型 (JY/T 1001). NONE is the "no ID number" path of pupils without a household
    registration: they are registered with a guardian's ID number instead."""

    RESIDENT_ID = "1", "居民身份证"
    HONG_KONG = "6", "香港特区护照/身份证明"
    MACAO = "7", "澳门特区护照/身份证明"
    TAIWAN = "8", "台湾居民来往大陆通行证"
    FOREIGN_PERMANENT = "9", "境外永久居住证"
    PASSPORT = "A", "护照"
    # 港澳台居民居住证: 18 digits under GB 11643 with the area codes 810000/820000/830000.
    HMT_RESIDENCE_PERMIT = "C", "港澳台居民居住证"
    OTHER = "Z", "其他"
    NONE = "N", "无身份证件"


# ID types whose numbers follow GB 11643 (18 digits, check digit, birth date inside).
GB11643_ID_TYPES = {IdType.RESIDENT_ID, IdType.HMT_RESIDENCE_PERMIT}


class OverseasStatus(models.TextChoices):
    """港澳台侨外 (JY/T 1001)."""

    NO = "00", "否"
    HONG_KONG = "01", "香港同胞"
    HONG_KONG_RELATIVE = "02", "香港同胞亲属"
    MACAO = "03", "澳门同胞"
    MACAO_RELATIVE = "04", "澳门同胞亲属"
    TAIWAN = "05", "台湾同胞"
    TAIWAN_RELATIVE = "06", "台湾同胞亲属"
    OVERSEAS_CHINESE = "11", "华侨"
    OVERSEAS_CHINESE_RELATIVE = "12", "侨眷"
    RETURNED_OVERSEAS_CHINESE = "13", "归侨"
    RETURNED_OVERSEAS_CHILD = "14", "归侨子女"
    RETURNED_STUDENT = "21", "归国留学人员"
    NON_CHINESE_ORIGIN_CITIZEN = "31", "非华裔中国人"
    FOREIGN_CHINESE_ORIGIN = "41", "外籍华裔人"
    FOREIGNER = "51", "外国人"
    OTHER = "99", "其他"


# Pupils whose names may use Latin letters: foreigners (by 港澳台侨外 status or nationality).
FOREIGN_OVERSEAS_STATUSES = {OverseasStatus.FOREIGN_CHINESE_ORIGIN, OverseasStatus.FOREIGNER}


class Health(models.TextChoices):
    """健康状况 (JY/T 1001)."""

    GOOD = "10", "健康或良好"
    FAIR = "20", "一般或较弱"
    CHRONIC = "30", "有慢性病"
    PHYSICAL_DEFECT = "40", "有生理缺陷"
    DISABLED = "50", "残疾"


class HukouType(models.TextChoices):
    """户口性质."""

    AGRICULTURAL = "1", "农业户口"
    NON_AGRICULTURAL = "2", "非农业户口"


class EntryMode(models.TextChoices):
    """入学方式 (JY/T 1001)."""

    NEARBY = "1", "就近入学"
    RELATIVELY_NEARBY = "2", "相对就近入学"
    UNIFIED = "3", "统一招生考试/统一招生"
    PRIVATE = "4", "民办学校招生"
    OTHER = "9", "其他"


class Boarding(models.TextChoices):
    """就读方式."""

    DAY = "1", "走读"
    BOARDING = "2", "住校"


class LeftBehind(models.TextChoices):
    """留守儿童."""

    NO = "0", "非留守儿童"
    ONE_PARENT = "1", "单亲留守儿童"
    BOTH_PARENTS = "2", "双亲留守儿童"


class Disability(models.TextChoices):
    """残疾类型."""

    NONE = "0", "无残疾"
    VISUAL = "1", "视力残疾"
    HEARING = "2", "听力残疾"
    SPEECH = "3", "言语残疾"
    PHYSICAL = "4", "肢体残疾"
    INTELLECTUAL = "5", "智力残疾"
    MENTAL = "6", "精神残疾"
    MULTIPLE = "7", "多重残疾"
    OTHER = "8", "其他残疾"


class DisabilityPlacement(models.TextChoices):
    """How a pupil with a disability is taught: 随班就读 in a regular class, 送教上门 at home."""

    NOT_APPLICABLE = "", "不适用"
    REGULAR_CLASS = "1", "随班就读"
    HOME_TEACHING = "2", "送教上门"
    SPECIAL_SCHOOL = "3", "特殊教育学校就读"


class GuardianRelation(models.TextChoices):
    """监护人关系 (GB/T 4761 家庭关系代码, the codes used for a pupil's guardians)."""

    FATHER = "51", "父亲"
    MOTHER = "52", "母亲"
    STEPFATHER = "57", "继父"
    STEPMOTHER = "58", "继母"
    GRANDFATHER = "61", "祖父"
    GRANDMOTHER = "62", "祖母"
    MATERNAL_GRANDFATHER = "63", "外祖父"
    MATERNAL_GRANDMOTHER = "64", "外祖母"
    ELDER_BROTHER = "71", "兄"
    ELDER_SISTER = "75", "姐姐"
    PATERNAL_UNCLE = "83", "叔父"
    MATERNAL_UNCLE = "85", "舅父"
    MATERNAL_AUNT = "88", "姨母"
    PATERNAL_AUNT = "90", "姑母"
    OTHER_RELATIVE = "97", "其他亲属"
    NON_RELATIVE = "99", "非亲属"


class PoliticalStatus(models.TextChoices):
    """政治面貌 (GB/T 4762). The national instructions fill primary pupils in as 群众."""

    PARTY_MEMBER = "01", "中共党员"
    PARTY_PROBATIONER = "02", "中共预备党员"
    LEAGUE_MEMBER = "03", "共青团员"
    REVOLUTIONARY_COMMITTEE = "04", "民革会员"
    DEMOCRATIC_LEAGUE = "05", "民盟盟员"
    NATIONAL_CONSTRUCTION = "06", "民建会员"
    PROMOTION_OF_DEMOCRACY = "07", "民进会员"
    PEASANTS_AND_WORKERS = "08", "农工党党员"
    ZHI_GONG = "09", "致公党党员"
    JIUSAN = "10", "九三学社社员"
    TAIWAN_LEAGUE = "11", "台盟盟员"
    INDEPENDENT = "12", "无党派民主人士"
    MASSES = "13", "群众"


class PupilSource(models.TextChoices):
    """学生来源 in compulsory education (the national instructions: 1 正常入学, 9 其他)."""

    NORMAL = "1", "正常入学"
    OTHER = "9", "其他"


class CommuteMode(models.TextChoices):
    """上下学方式 (the national instructions' list)."""

    WALKING = "1", "步行"
    BICYCLE = "2", "自行车（含电动自行车）"
    PUBLIC_TRANSPORT = "3", "公共交通（含城市公交、农村客运、地铁）"
    PARENTS = "4", "家长自行接送"
    SCHOOL_BUS = "5", "校车"
    OTHER = "9", "其他"


# 48 是否需要乘坐校车 follows from 46 上下学距离 unless the school says otherwise: the national
# instructions answer 是 in compulsory education when the way to school is over 2 km.
SCHOOL_BUS_DISTANCE_KM = 2


class PupilStatus(models.TextChoices):
    """学籍状态."""

    ENROLLED = "enrolled", "在籍在校"
    SUSPENDED = "suspended", "休学"
    DROPPED_OUT = "dropped_out", "辍学"
    TRANSFERRED_OUT = "transferred_out", "转出"
    ABROAD = "abroad", "出国"
    OTHER_LEFT = "other_left", "其他离校"
    WITHDRAWN = "withdrawn", "退学"
    GRADUATED = "graduated", "毕业"
    CANCELLED = "cancelled", "注销"
    DECEASED = "deceased", "死亡"
    VISITING = "visiting", "借读"
    DEFERRED = "deferred", "缓学"


# On the roll (在籍): the school keeps the record (学籍保留 for dropouts, suspended and deferred
# pupils and pupils studying abroad), as cancellation.services's CANCELLABLE.
ROLL_STATUSES = [
    PupilStatus.ENROLLED, PupilStatus.SUSPENDED, PupilStatus.DROPPED_OUT, PupilStatus.ABROAD, PupilStatus.DEFERRED,
]
# 借读: a temporary record at the host school (the home school keeps the real one): shown beside
# the roll, never counted in it.
COUNTED_BESIDE = [PupilStatus.VISITING]


class NumberKind(models.TextChoices):
    """学籍号 kinds: L temporary, G from the ID number, J for pupils without a usable ID number."""

    TEMPORARY = "L", "临时学籍号"
    FROM_ID = "G", "正式学籍号（身份证号）"
    WITHOUT_ID = "J", "正式学籍号（无身份证号）"


class SchoolType(models.TextChoices):
    PRIMARY = "primary", "小学"
    JUNIOR = "junior", "初级中学"
    NINE_YEAR = "nine_year", "九年一贯制学校"
    SPECIAL = "special", "特殊教育学校"
    # 专门学校 (the former 工读学校: 预防未成年人犯罪法 第六条, 2025 办法 第二条) takes pupils of the
    # junior grades, referred by the bureau; its pupils are registered there like any other's.
    SPECIALIZED = "specialized", "专门学校"


GRADE_LABELS = {
    1: "一年级",
    2: "二年级",
    3: "三年级",
    4: "四年级",
    5: "五年级",
    6: "六年级",
    7: "七年级",
    8: "八年级",
    9: "九年级",
}
GRADE_CHOICES = list(GRADE_LABELS.items())
PRIMARY_GRADES = range(1, 7)
JUNIOR_GRADES = range(7, 10)

# Grades each school type teaches. A special-education school teaches the nine years of compulsory
# education (grades 1–9, whether it has a junior section or not: its classes say which grades it
# runs); a 专门学校 teaches the junior grades (7–9), as the schools for minors with serious bad
# behaviour are in practice junior-middle schools.
GRADES_BY_SCHOOL_TYPE = {
    SchoolType.PRIMARY: list(PRIMARY_GRADES),
    SchoolType.JUNIOR: list(JUNIOR_GRADES),
    SchoolType.NINE_YEAR: list(range(1, 10)),
    SchoolType.SPECIAL: list(range(1, 10)),
    SchoolType.SPECIALIZED: list(JUNIOR_GRADES),
}
# The last grade of each kind of school: its pupils graduate (transfers and suspensions in it need
# a bureau's exception), the others move up. A nine-year school's sixth grade moves up into its
# seventh.
GRADUATING_GRADE = {
    SchoolType.PRIMARY: 6, SchoolType.JUNIOR: 9, SchoolType.NINE_YEAR: 9, SchoolType.SPECIAL: 9, SchoolType.SPECIALIZED: 9,
}
# The grades a pupil enters each kind of school in (deferral applies to these only).
ENTRY_GRADES = {
    SchoolType.PRIMARY: {1}, SchoolType.JUNIOR: {7}, SchoolType.NINE_YEAR: {1, 7}, SchoolType.SPECIAL: {1},
    SchoolType.SPECIALIZED: {7},
}


@lru_cache(maxsize=1)
def nationality_choices() -> list[tuple[str, str]]:
    """国籍/地区 (GB/T 2659 = ISO 3166-1 alpha-3) with Chinese names from pycountry; 中国 first."""
    chinese = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True)
    choices = sorted(
        ((country.alpha_3, chinese.gettext(country.name)) for country in pycountry.countries),
        key=lambda item: (item[0] != "CHN", item[0]),
    )
    return choices


def nationality_label(code: str) -> str:
    return dict(nationality_choices()).get(code, code)
