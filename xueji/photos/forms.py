"""Forms of the photo pages. The files are checked by the services (by content, not by name):
the forms only say which file was sent."""

from django import forms


class PupilPhotoForm(forms.Form):
    """One photo: a file chosen, or a picture taken with the device's camera. ``capture`` makes a
    phone or tablet open its front camera; a computer shows its file chooser for both."""

    photo = forms.FileField(
        label="选择照片文件", required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    camera = forms.FileField(
        label="用摄像头拍照", required=False,
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "user"}),
    )

    def clean(self):
        data = super().clean()
        chosen = [name for name in ("photo", "camera") if data.get(name)]
        if not chosen:
            raise forms.ValidationError("请选择一张照片，或用摄像头拍一张。")
        if len(chosen) > 1:
            raise forms.ValidationError("请只选择一张照片：选择文件和拍照只用其中一种。")
        data["source"] = "camera" if chosen[0] == "camera" else "upload"
        data["file"] = data[chosen[0]]
        return data


class PhotoZipForm(forms.Form):
    zip_file = forms.FileField(
        label="照片压缩包（.zip）",
        widget=forms.FileInput(attrs={"accept": ".zip,application/zip,application/x-zip-compressed"}),
        error_messages={"required": "请选择照片压缩包（.zip 文件）。"},
    )
