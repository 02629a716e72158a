"""The photo card of the pupil's page: the stored photo's warnings (a background that is not
blue), and for the registrar and headmaster of the pupil's school the forms to upload, take or
remove it. An inclusion tag, so that the pupil's page needs one line for it."""

from django import template

from xueji.photos.forms import PupilPhotoForm
from xueji.photos.services import may_change_photo, may_import_photos, photo_warnings
from xueji.photos.views import RULES

register = template.Library()


@register.inclusion_tag("photos/_pupil_photo.html", takes_context=True)
def pupil_photo_card(context, pupil):
    user = context["request"].user
    may_change = may_change_photo(user, pupil)
    return {
        "pupil": pupil,
        "warnings": photo_warnings(pupil),
        "may_change": may_change,
        "may_import": may_change and may_import_photos(user, pupil.school),
        "form": PupilPhotoForm() if may_change else None,
        "rules": RULES,
        "csrf_token": context.get("csrf_token"),
    }
