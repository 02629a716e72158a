from django import template
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from xueji.codes import nationality_label
from xueji.identity import mask_id_number, mask_student_number
from xueji.pupils.visibility import HIDDEN

register = template.Library()


@register.simple_tag
def shown(visibility, field: str, value, default: str = ""):
    """A field of a pupil as the user may see it (xueji.pupils.visibility): in full, masked, or
    nothing. ``field`` names the pupil's field ("id_number", "student_number", "address") or a
    guardian's ("guardian.id_number", "guardian.phone"); ``default`` stands for an empty value.
    {% shown vis "id_number" pupil.id_number "—" %}"""
    if field.startswith("guardian."):
        value = visibility.guardian_value(field.removeprefix("guardian."), value)
    else:
        value = visibility.pupil_value(field, value)
    if value is HIDDEN:
        return ""
    return default if value in (None, "") else value


@register.simple_tag
def printed(visibility, field: str, value, default: str = ""):
    """As ``shown``, for a box a printed form always has: "***" where the user may not see it."""
    if field.startswith("guardian."):
        value = visibility.printed(field.removeprefix("guardian."), value, guardian=True)
    else:
        value = visibility.printed(field, value)
    return default if value in (None, "") else value


# Unconditional masks (a value the caller already decided to mask); whether to mask is
# xueji.pupils.visibility's (the ``shown`` tag above).
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


@register.simple_tag
def select_options(choices, chosen):
    """The <option>s of a drop-down, ``chosen`` selected: in one join rather than a template loop,
    as a province officer's school drop-down lists over 8,000 schools (a loop that looked up the
    chosen value again for each option took most of the page's time)."""
    chosen = "" if chosen is None else str(chosen)
    return format_html_join(
        "", "<option value=\"{}\"{}>{}</option>",
        ((value, mark_safe(" selected") if str(value) == chosen else "", label) for value, label in choices),
    )


@register.simple_tag
def chain_dots(dots):
    """A request's chain as dots, one for each (status, tooltip) step: in one join rather than a
    template loop, as an inbox of 50 rows draws some 200 of them."""
    return format_html_join("", '<span class="dot dot-{}" title="{}"></span>', dots)
