"""The photo endpoints of the API: /api/v1/pupils/{id}/photo/ (PUT or POST a photo, DELETE it)
and /api/v1/schools/{id}/photos/ (POST a zip of the school's photos). The pages' services and
scoping: outside the caller's scope 404, in scope without the role 403, a file that is refused
400 with the reason in Chinese."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from xueji.accounts.permissions import NotAllowed
from xueji.accounts.scoping import get_school_for_user
from xueji.photos.images import PHOTO_SIZE
from xueji.photos.services import (
    IMPORT_NOT_ALLOWED,
    NOT_ALLOWED,
    PhotoImport,
    ProblemKind,
    may_change_photo,
    may_import_photos,
    photos_import_zip,
    pupil_photo_remove,
    pupil_photo_set,
)
from xueji.pupils.scoping import get_pupil_for_user


class PupilPhotoUploadSerializer(serializers.Serializer):
    photo = serializers.FileField(help_text="JPG 或 PNG（按内容识别），不超过 10 MB")


class PupilPhotoSavedSerializer(serializers.Serializer):
    pupil = serializers.IntegerField(help_text="学生")
    replaced = serializers.BooleanField(help_text="是否替换了原有照片")
    width = serializers.IntegerField(help_text="保存的照片宽度（像素）")
    height = serializers.IntegerField(help_text="保存的照片高度（像素）")
    warnings = serializers.ListField(child=serializers.CharField(), help_text="需要核对的问题（如背景不是蓝色），不影响保存")
    url = serializers.CharField(help_text="照片的地址（登录后的页面）")


class PhotoZipUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="zip 压缩包，照片以身份证件号或学籍号命名")


class PhotoImportSavedSerializer(serializers.Serializer):
    file = serializers.CharField(source="path")
    pupil = serializers.IntegerField(source="pupil.pk")
    name = serializers.CharField(source="pupil.name")
    replaced = serializers.BooleanField()
    warnings = serializers.ListField(child=serializers.CharField())


class PhotoImportProblemSerializer(serializers.Serializer):
    file = serializers.CharField(source="path")
    # A plain string, not an enum: several schemas have a "kind" enum, and their names would clash.
    kind = serializers.CharField(help_text="；".join(f"{code}：{label}" for code, label in ProblemKind.LABELS.items()))
    kind_label = serializers.CharField()
    reason = serializers.CharField()
    pupil = serializers.IntegerField(source="pupil.pk", allow_null=True, default=None)


class PhotoImportResultSerializer(serializers.Serializer):
    school = serializers.IntegerField(source="school.pk")
    saved_count = serializers.SerializerMethodField()
    problem_count = serializers.SerializerMethodField()
    saved = PhotoImportSavedSerializer(many=True)
    problems = PhotoImportProblemSerializer(many=True)
    skipped = serializers.ListField(child=serializers.CharField(), help_text="跳过的系统文件（__MACOSX、Thumbs.db 等）")

    def get_saved_count(self, result: PhotoImport) -> int:
        return len(result.saved)

    def get_problem_count(self, result: PhotoImport) -> int:
        return len(result.problems)


class PupilPhotoView(APIView):
    """The pupil's 2-inch photo, changed by the registrar or headmaster of the pupil's school."""

    parser_classes = [MultiPartParser, FormParser]

    def _pupil(self, request, pupil_id):
        # The scope first (404), then the role (403), and only then the file.
        pupil = get_pupil_for_user(request.user, pupil_id)
        if not may_change_photo(request.user, pupil):
            raise NotAllowed(NOT_ALLOWED)
        return pupil

    @extend_schema(request={"multipart/form-data": PupilPhotoUploadSerializer},
                   responses={200: PupilPhotoSavedSerializer},
                   summary="上传或更换学生照片（自动摆正、裁成二寸、去除拍摄信息；背景不是蓝色时提醒）")
    def put(self, request, pupil_id: int):
        pupil = self._pupil(request, pupil_id)
        data = PupilPhotoUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        saved = pupil_photo_set(actor=request.user, pupil=pupil, upload=data.validated_data["photo"])
        return Response(PupilPhotoSavedSerializer({
            "pupil": saved.pupil.pk, "replaced": saved.replaced, "width": PHOTO_SIZE[0], "height": PHOTO_SIZE[1],
            "warnings": list(saved.warnings), "url": reverse("photos:pupil_photo", args=[saved.pupil.pk]),
        }).data)

    @extend_schema(request={"multipart/form-data": PupilPhotoUploadSerializer},
                   responses={200: PupilPhotoSavedSerializer},
                   summary="上传或更换学生照片（与 PUT 相同）")
    def post(self, request, pupil_id: int):
        return self.put(request, pupil_id)

    @extend_schema(request=None, responses={204: None}, summary="删除学生照片")
    def delete(self, request, pupil_id: int):
        pupil = self._pupil(request, pupil_id)
        pupil_photo_remove(actor=request.user, pupil=pupil)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SchoolPhotoImportView(APIView):
    """A zip of the school's photos, by the school's registrar: every usable photo is saved, and
    every other file is listed with the reason (a zip that is unsafe as a whole is refused)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": PhotoZipUploadSerializer},
                   responses={200: PhotoImportResultSerializer},
                   summary="批量导入本校学生照片（zip，文件以身份证件号或学籍号命名）")
    def post(self, request, school_id: int):
        school = get_school_for_user(request.user, school_id)
        if not may_import_photos(request.user, school):
            raise NotAllowed(IMPORT_NOT_ALLOWED)
        data = PhotoZipUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = photos_import_zip(actor=request.user, school=school, upload=data.validated_data["file"])
        return Response(PhotoImportResultSerializer(result).data)
