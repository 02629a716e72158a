"""The pupil list's search and filters, written once for the page (/pupils/) and the API
(/api/v1/pupils/): a django-filter FilterSet.

Its form checks what people type and says what is wrong in Chinese: the page shows the messages
above the whole list, the API answers 400 with them (DjangoFilterBackend). Its filters only ever
narrow the queryset they are given, which is always the user's scope in list order
(``xueji.pupils.selectors.pupil_list``); the search is ``pupil_search_results``, whose queries were chosen
for the indexes (benchmarks/pupil_search.py).
"""

import django_filters
from django import forms
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from xueji.accounts.scoping import MAX_ID
from xueji.codes import GRADE_CHOICES, DisabilityPlacement, NumberKind, PupilStatus
from xueji.pupils.models import Pupil, disability_placement_index
from xueji.pupils.scoping import classes_visible_to, pupil_scope_school_ids
from xueji.pupils.selectors import pupil_search_results, searched_by_school
from xueji.pupils.visibility import schools_seeing

# The page's search box is named q (its addresses, bookmarks and HTMX history say q=…); the API
# documents search. Both fill the one filter; search wins if both are given.
PAGE_SEARCH_PARAMETER = "q"
INVALID_CHOICE = {"invalid_choice": "“%(value)s”不是可选的值，请重新选择。"}
NO_SUCH_CLASS = "没有这个班级，或您无权查看。"
NO_DISABILITY = "您无权查看学生的残疾情况，不能按残疾学生就读方式筛选。"
PLACEMENT_CHOICES = [(code, label) for code, label in DisabilityPlacement.choices if code]


def _bad_id(what: str) -> dict:
    message = f"{what}编号无效。"
    return {"invalid": message, "min_value": message, "max_value": message}


class IdFilter(django_filters.Filter):
    """The id of a row the list is narrowed to (a school, a class): a whole number the database
    can hold. The page shows it as a drop-down whose options it sets itself; the API schema
    types it from the model's foreign key (an integer)."""

    field_class = forms.IntegerField

    def __init__(self, *, what: str, **kwargs):
        kwargs.setdefault("widget", forms.Select)
        super().__init__(min_value=1, max_value=MAX_ID, error_messages=_bad_id(what), **kwargs)


class PupilFilterForm(forms.Form):
    """The form django-filter builds from the filters below, plus the check of a class number
    against the user's scope (set by PupilFilterSet): any class of the scope is accepted, from a
    link, even if the page's drop-down does not list it."""

    user = None

    def clean_school_class(self) -> int | None:
        value = self.cleaned_data.get("school_class")
        if value is not None and not classes_visible_to(self.user).filter(pk=value).exists():
            raise forms.ValidationError(NO_SUCH_CLASS, code="no_such_class")
        return value

    def clean_disability_placement(self) -> str:
        value = self.cleaned_data.get("disability_placement")
        if value and schools_seeing(self.user, "disability") is None:
            raise forms.ValidationError(NO_DISABILITY, code="disability_hidden")
        return value


class PupilFilterSet(django_filters.FilterSet):
    """The search box and filters of the pupil list. ``request`` is required: the class is
    checked against its user's scope.

    A school outside the scope is not refused, it simply narrows the scope to nothing (the API
    has always answered so); a class outside it is refused with a message."""

    search = django_filters.CharFilter(
        label="搜索", method="filter_search", max_length=50, help_text="姓名、拼音、学籍号或完整的身份证件号（不支持按开头几位查找）",
    )
    school = IdFilter(field_name="school", label="学校", what="学校", help_text="学校（编号）")
    grade = django_filters.ChoiceFilter(
        label="年级", choices=GRADE_CHOICES, empty_label="全部年级", error_messages=INVALID_CHOICE, help_text="年级（1–9）",
    )
    school_class = IdFilter(field_name="school_class", label="班级", what="班级", help_text="班级（编号）")
    status = django_filters.ChoiceFilter(
        label="学籍状态", choices=PupilStatus.choices, empty_label="全部状态", error_messages=INVALID_CHOICE,
        help_text="学籍状态",
    )
    number_kind = django_filters.ChoiceFilter(
        field_name="student_number", lookup_expr="startswith", label="学籍号类型", empty_label="全部学籍号",
        choices=[(kind.value, f"{kind.value} 字头") for kind in NumberKind], error_messages=INVALID_CHOICE,
        help_text="当前学籍号的类型：L 临时学籍号，G 正式学籍号（身份证号），J 正式学籍号（无身份证号）",
    )
    # Item 41: 随班就读, 送教上门 (taught at home: listed as such, 2025 办法), 特殊教育学校就读. The
    # column is encrypted: matched by its blind index, and only at the schools where the user
    # sees the disability group (xueji.pupils.visibility).
    disability_placement = django_filters.ChoiceFilter(
        label="残疾学生就读方式", choices=PLACEMENT_CHOICES, empty_label="全部学生", method="filter_placement",
        error_messages=INVALID_CHOICE, help_text="残疾学生就读方式：1 随班就读，2 送教上门，3 特殊教育学校就读",
    )

    class Meta:
        model = Pupil
        fields = []
        form = PupilFilterForm

    def __init__(self, data=None, queryset=None, *, request, prefix=None):
        if data is not None and PAGE_SEARCH_PARAMETER in data and "search" not in data:
            data = data.copy()
            data["search"] = data[PAGE_SEARCH_PARAMETER]
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.form.user = request.user

    def filter_search(self, queryset, name, value: str):
        """The search, applied after every other filter (``filter_queryset``): a pinyin search's
        rows are a PinyinSearchResults, read page by page, which nothing narrows afterwards."""
        school_ids = pupil_scope_school_ids(self.request.user) if searched_by_school(value) else None
        return pupil_search_results(queryset, value, school_ids=school_ids)

    def filter_placement(self, queryset, name, value: str):
        return queryset.filter(schools_seeing(self.request.user, "disability"),
                               disability_placement_index=disability_placement_index(value))

    def filter_queryset(self, queryset):
        """With any bad value nothing is narrowed: the page shows the messages over the whole
        list (the API never gets here, it answers 400)."""
        if self.form.errors:
            return queryset
        values = self.form.cleaned_data
        for name, value in values.items():
            if name != "search":
                queryset = self.filters[name].filter(queryset, value)
        return self.filters["search"].filter(queryset, values.get("search"))

    def offer_choices(self, schools: list[tuple[int, str]]) -> None:
        """The page's drop-downs: the user's ``schools`` (id and name), and the classes of one
        school only (the chosen one, or the user's only school). A county holds over a thousand
        classes, too many for one drop-down and for a slow line."""
        fields = self.form.fields
        fields["school"].widget.choices = [("", "全部学校"), *schools]
        school_id = self._chosen_school(schools)
        classes = class_choices(self.request.user, school_id) if school_id else []
        fields["school_class"].widget.choices = [("", "全部班级"), *[(c.pk, class_label(c)) for c in classes]]

    def _chosen_school(self, schools: list[tuple[int, str]]) -> int | None:
        if len(schools) == 1:
            return schools[0][0]
        raw = self.data.get("school")
        return int(raw) if raw and str(raw).isdigit() and any(pk == int(raw) for pk, _name in schools) else None


def class_choices(user, school_id: int):
    """A school's classes for the drop-down: this school year's first, then the others, newest
    first (next year's classes, made at enrolment, sit next to this year's of the same names)."""
    today = timezone.localdate()
    current = Q(school_year__start_date__lte=today, school_year__end_date__gte=today)
    return (
        classes_visible_to(user).filter(school_id=school_id).select_related("school_year")
        .annotate(is_current=Case(When(current, then=Value(0)), default=Value(1)))
        .order_by("is_current", "-school_year__start_year", "grade", "number")
    )


def class_label(school_class) -> str:
    """“2026学年 三年级（1）班”: the school year tells this year's class from next year's."""
    return f"{school_class.school_year.start_year}学年 {school_class.name}"
