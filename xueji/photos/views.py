"""Pages of pupils' photos: upload or take a photo on the pupil's page, remove it, and a
school's zip of photos. Objects outside the user's scope are 404 (the scoping helpers); in scope
without the role, 403. The work is in xueji/photos/services.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from xueji.accounts.audit import audit_record
from xueji.accounts.models import Membership, Role, User
from xueji.accounts.permissions import NotAllowed
from xueji.accounts.scoping import get_school_for_user
from xueji.codes import PupilStatus
from xueji.photos.forms import PhotoZipForm, PupilPhotoForm
from xueji.photos.images import MAX_PHOTO_BYTES, PHOTO_SIZE
from xueji.photos.services import (
    IMPORT_NOT_ALLOWED,
    NOT_ALLOWED,
    may_change_photo,
    may_import_photos,
    photos_import_zip,
    pupil_photo_remove,
    pupil_photo_set,
)
from xueji.photos.zip import MAX_ENTRIES, MAX_ZIP_BYTES
from xueji.pupils.scoping import get_pupil_for_user, pupils_visible_to
from xueji.web.home import HomeItem, HomePanel, register_home_panel

RULES = {
    "photo_mb": MAX_PHOTO_BYTES // 1048576, "zip_mb": MAX_ZIP_BYTES // 1048576, "max_entries": MAX_ENTRIES,
    "width": PHOTO_SIZE[0], "height": PHOTO_SIZE[1],
}


@login_required
@require_POST
def pupil_photo_upload(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    if not may_change_photo(request.user, pupil):
        raise NotAllowed(NOT_ALLOWED)
    form = PupilPhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("__all__", []) + [e for f in ("photo", "camera") for e in form.errors.get(f, [])]:
            messages.error(request, error)
        return redirect("pupils:pupil_detail", pupil.pk)
    try:
        saved = pupil_photo_set(
            actor=request.user, pupil=pupil, upload=form.cleaned_data["file"], source=form.cleaned_data["source"]
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, f"照片未保存：{message}")
    else:
        messages.success(request, "照片已更换。" if saved.replaced else "照片已保存。")
        for warning in saved.warnings:
            messages.warning(request, warning)
    return redirect("pupils:pupil_detail", pupil.pk)


@login_required
@require_POST
def pupil_photo_remove_view(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    if not may_change_photo(request.user, pupil):
        raise NotAllowed(NOT_ALLOWED)
    try:
        pupil_photo_remove(actor=request.user, pupil=pupil)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, "照片已删除。")
    return redirect("pupils:pupil_detail", pupil.pk)


@login_required
@require_http_methods(["GET", "POST"])
def school_photo_import(request, school_id: int):
    """The registrar's zip of the school's photos; the result is shown on the same page."""
    school = get_school_for_user(request.user, school_id)
    if not may_import_photos(request.user, school):
        raise NotAllowed(IMPORT_NOT_ALLOWED)
    form = PhotoZipForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = photos_import_zip(actor=request.user, school=school, upload=form.cleaned_data["zip_file"])
        except ValidationError as error:
            for message in error.messages:
                form.add_error("zip_file", message)
        else:
            form = PhotoZipForm()
    return render(request, "photos/photo_import.html", {
        "school": school, "form": form, "result": result, "rules": RULES,
        "without_photo": _without_photo(request.user, school),
    })


def _without_photo(user: User, school) -> int:
    return pupils_visible_to(user).filter(school=school, status=PupilStatus.ENROLLED, photo="").count()


@register_home_panel
def photo_home_panel(user: User, membership: Membership | None) -> list[HomePanel]:
    """The registrar's count of pupils in school without a photo, and the way to a zip of them."""
    if membership is None or membership.role != Role.REGISTRAR or membership.unit_id is None:
        return []
    counts = pupils_visible_to(user).filter(school_id=membership.unit_id, status=PupilStatus.ENROLLED).aggregate(
        total=Count("id"), without=Count("id", filter=Q(photo="")),
    )
    url = reverse("photos:school_photo_import", args=[membership.unit_id])
    return [HomePanel(
        "学生照片",
        [HomeItem("没有照片的在校学生", counts["without"], url, warn=counts["without"] > 0),
         HomeItem("批量上传照片（zip 压缩包）", "", url)],
        note="学籍卡使用二寸蓝底照片；可在学生页面逐个上传或拍照，也可按身份证件号或学籍号命名后打包上传。",
        order=60,
    )]


@login_required
def pupil_photo(request, pupil_id: int):
    """The photo, from outside the web root, only to users who may see the pupil."""
    pupil = get_pupil_for_user(request.user, pupil_id)
    if not pupil.photo:
        raise Http404("该学生没有照片。")
    try:
        handle = pupil.photo.open("rb")
    except FileNotFoundError:
        raise Http404("照片文件不存在。") from None
    content_type = "image/png" if pupil.photo.name.lower().endswith(".png") else "image/jpeg"
    audit_record(action="photo.view", obj=pupil, detail="查看学生照片")
    # Inline: pages show it as an <img>. Never kept by a cache: a child's face (issue 12).
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response
