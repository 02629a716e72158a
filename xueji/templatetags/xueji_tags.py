from django import template

from xueji.codes import nationality_label
from xueji.identity import mask_id_number, mask_student_number

register = template.Library()


@register.filter
def mask_id(number: str) -> str:
    return mask_id_number(number or "")


@register.filter
def nationality(code: str) -> str:
    return nationality_label(code or "")


@register.filter
def yes_no(value) -> str:
    return "是" if value else "否"


@register.filter
def mask_number(number: str) -> str:
    return mask_student_number(number or "")


@register.filter
def add_class(bound_field, css_class: str):
    """Render a form field with an extra CSS class."""
    return bound_field.as_widget(attrs={"class": css_class})


@register.filter
def absolute(value):
    try:
        return abs(value)
    except TypeError:
        return value
