"""Demo data of schoolyear/: next year's classes prepared for 农安县实验小学 (A1), with one class
mapped elsewhere than the class of the same number, so that the promotion plan shows both.
Idempotent: nothing is added once A1 has a class of next year."""

from django.db import transaction

from demo.world import SCHOOL_YEAR
from schoolyear.services import class_mappings_set, next_year_classes_prepare
from xueji.accounts.models import Unit, User
from xueji.pupils.models import SchoolClass

SCHOOL_CODE = "2122012201"  # 农安县实验小学 (a1)


def load(say) -> None:
    school = Unit.objects.filter(code=SCHOOL_CODE).first()
    registrar = User.objects.filter(username="registrar_a1").first()
    if school is None or registrar is None:
        return
    if SchoolClass.objects.filter(school=school, school_year__start_year=SCHOOL_YEAR + 1).exists():
        return
    with transaction.atomic():
        created = next_year_classes_prepare(actor=registrar, school=school, start_year=SCHOOL_YEAR)
        # 二年级（1）班 goes into 三年级（2）班 next year, 二年级（2）班 into 三年级（1）班.
        source = {c.number: c for c in SchoolClass.objects.filter(school=school, school_year__start_year=SCHOOL_YEAR, grade=2)}
        target = {c.number: c for c in SchoolClass.objects.filter(school=school, school_year__start_year=SCHOOL_YEAR + 1, grade=3)}
        if {1, 2} <= set(source) and {1, 2} <= set(target):
            class_mappings_set(actor=registrar, school=school, start_year=SCHOOL_YEAR,
                               targets={source[1].pk: target[2].pk, source[2].pk: target[1].pk})
    say(f"  升级演示：{school.name}已建好明年班级 {len(created)} 个，二年级两个班交换升入三年级的班级\n")
