"""Pupils' photos as images: what a file must be to become the 2-inch photo of the 学籍卡, and
the photo that is stored. Plain functions on bytes, no database (the writes are in
xueji/photos/services.py).

- Accepted: JPG or PNG, recognised by content (the first bytes, then Pillow restricted to those
  two decoders), whatever the file is called; at most 10 MB and 40 megapixels, checked from the
  header before anything is decoded (a "decompression bomb" is a small file that decodes into
  gigabytes; Pillow's own, higher limit answers with the same message).
- Stored: the image turned upright by its EXIF orientation (phones store photos sideways and say
  so in EXIF), cut to the 2-inch proportions 35 × 49 mm, scaled to 413 × 579 pixels (35 × 49 mm
  at 300 dpi, what the printed card needs) and written as a new JPEG. Only the pixels survive:
  no EXIF (a phone photo's EXIF holds where it was taken), no comments, no colour profile.
- Warned, not refused: a background that is not mostly blue (the photo of a 学籍 is a blue-
  background ID photo), and a photo too small to print sharply. A registrar may have nothing
  better today; the card then prints what there is, and the page says what to fix.
"""

import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from PIL import Image, ImageOps

# 2 inches (二寸) for the 学籍卡: 35 × 49 mm; at 300 dpi 413 × 579 pixels.
PHOTO_MM = (35, 49)
PHOTO_DPI = 300
PHOTO_SIZE = (413, 579)
JPEG_QUALITY = 90
ORIENTATION = 0x0112  # the EXIF tag

MAX_PHOTO_BYTES = 10 * 1024 * 1024  # a phone photo is 2-6 MB; the stored one about 40 KB
MAX_PIXELS = 40_000_000
# Below this the printed photo is visibly blurred (half the print resolution).
LOW_RESOLUTION_WIDTH = PHOTO_SIZE[0] // 2

# A portrait taller than 35:49 loses more at the bottom than at the top: the head is in the upper
# part of the picture. This share of the spare height is cut at the top, the rest at the bottom.
TOP_SHARE = 0.25

# The background check (see blue_share): a small copy of the photo, its border bands, in HSV.
SAMPLE_SIZE = (70, 98)
BAND = 7  # pixels of the small copy: 10 % of the width
SIDE_BANDS_DOWN_TO = 2 / 3  # the lower part of the sides is the pupil's shoulders
# Pillow's HSV has every channel on 0-255. Blue backgrounds of ID photos run from sky blue
# (about 195°) to a deep blue (about 235°); 180°-250° with some margin either side.
BLUE_HUES = range(round(180 / 360 * 255), round(250 / 360 * 255) + 1)
BLUE_MIN_SATURATION = 64  # 25 %: paler is grey or white
BLUE_MIN_VALUE = 64  # 25 %: darker is black or a shadow
BLUE_SHARE_REQUIRED = 0.6

NOT_AN_IMAGE = "“{name}”不是 JPG 或 PNG 图片（按文件内容识别，与扩展名无关），请上传照片文件。"
TOO_MANY_PIXELS = "“{name}”的像素太多（{size}），请缩小到 4000 万像素以内再上传。"
DAMAGED = "“{name}”已损坏或不是有效的 JPG/PNG 图片，请重新拍摄或导出后再上传。"


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo ready to be stored: the JPEG's bytes and what the page should warn about."""

    content: bytes
    warnings: tuple[str, ...]
    blue_share: float


def too_large(size: int) -> str:
    return f"太大（{size / 1048576:.1f} MB）：照片最大 {MAX_PHOTO_BYTES // 1048576} MB，请用手机或电脑缩小后再上传。"


def sniff_image(head: bytes) -> str | None:
    """"JPEG" or "PNG" from a file's first bytes, else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    return None


def photo_prepare(data: bytes, *, name: str = "照片") -> PreparedPhoto:
    """Check an uploaded file and make the photo that is stored (see the module's docstring).
    Raises ValidationError with a Chinese message naming the file."""
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError(f"“{name}”{too_large(len(data))}", code="too_large")
    kind = sniff_image(data[:8])
    if kind is None:
        raise ValidationError(NOT_AN_IMAGE.format(name=name), code="not_image")
    try:
        # Pillow checks the size when it opens a file: above its own limit (89 megapixels) it
        # warns, above twice that it refuses (DecompressionBombError). Ours is lower and checked
        # right after opening, before anything is decoded, so its warning never lets a file
        # through. (No warnings.catch_warnings() here: it is not thread-safe, and a zip's photos
        # are made in threads.)
        upright = _decode_upright(data, kind, name)
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        raise ValidationError(TOO_MANY_PIXELS.format(name=name, size="超过 4000 万像素"), code="too_many_pixels") from None
    except Exception:  # noqa: BLE001 - Pillow's decoders answer hostile files with many kinds of error
        raise ValidationError(DAMAGED.format(name=name), code="damaged") from None
    box = crop_box(*upright.size)
    photo = upright.resize(PHOTO_SIZE, Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
    output = io.BytesIO()
    # No exif=, icc_profile= or comment=: the new file carries nothing but the pixels (and the
    # JFIF header's 300 dpi, which prints the photo at 35 × 49 mm).
    photo.save(output, "JPEG", quality=JPEG_QUALITY, optimize=True, dpi=(PHOTO_DPI, PHOTO_DPI))
    content = output.getvalue()
    share = blue_share(Image.open(io.BytesIO(content)))
    found = background_warnings(share)
    crop_width = box[2] - box[0]
    if crop_width < LOW_RESOLUTION_WIDTH:
        found.append(
            f"照片分辨率较低（裁剪后 {crop_width} × {round(box[3] - box[1])} 像素），打印出来可能模糊，"
            "建议重新拍摄。"
        )
    return PreparedPhoto(content=content, warnings=tuple(found), blue_share=share)


def _decode_upright(data: bytes, kind: str, name: str) -> Image.Image:
    """The decoded image, turned by its EXIF orientation, as RGB (transparency on white)."""
    with Image.open(io.BytesIO(data), formats=[kind]) as probe:
        width, height = probe.size
        if width * height > MAX_PIXELS:
            raise ValidationError(TOO_MANY_PIXELS.format(name=name, size=f"{width} × {height}"), code="too_many_pixels")
        if kind == "PNG":
            # Reads every chunk and checks the CRCs of the image data: a cut or damaged PNG
            # is caught here (decoding alone would not say so, see below).
            probe.verify()
    with Image.open(io.BytesIO(data), formats=[kind]) as image:
        if kind == "JPEG":
            # Let the JPEG decoder scale down by 1/2, 1/4 or 1/8 while decoding, keeping both
            # sides at least the photo's height (so the 35:49 cut is never below 413 × 579,
            # whichever way EXIF turns it): a 12-megapixel phone photo then decodes about four
            # times faster (tens of milliseconds, not hundreds). A school's 400 photos depend on it.
            image.draft("RGB", (PHOTO_SIZE[1], PHOTO_SIZE[1]))
        image.load()
        if getattr(image, "_ended", False):
            # WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process, so a cut
            # JPEG decodes without an error, grey at the bottom; Pillow then marks the image
            # with _ended (it supplied the missing end marker itself). tests/xueji/photos/test_photos.py
            # checks that a cut JPEG is still refused.
            raise ValidationError(DAMAGED.format(name=name), code="damaged")
        # exif_transpose copies the image even when there is nothing to turn: only call it
        # when the orientation says so (2-8; 1 is upright).
        upright = ImageOps.exif_transpose(image) if image.getexif().get(ORIENTATION, 1) != 1 else image
        return _to_rgb(upright)


def _to_rgb(image: Image.Image) -> Image.Image:
    transparent = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        image.mode in ("P", "L", "RGB") and "transparency" in image.info
    )
    if transparent:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        # 16-bit greyscale PNG: scale to 8 bits rather than clip.
        return image.point(lambda value: value / 256).convert("L").convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


def crop_box(width: int, height: int) -> tuple[int, int, int, int]:
    """The largest 35:49 box (left, top, right, bottom) in a width × height image: centred
    across a wider image; in a taller one (a portrait) placed a quarter of the way down the
    spare height, so that more is cut below the pupil than above the head."""
    target_w, target_h = PHOTO_MM
    if width * target_h >= height * target_w:  # wider than 35:49 (or exactly it)
        crop_width = min(width, max(1, round(height * target_w / target_h)))
        left = (width - crop_width) // 2
        return (left, 0, left + crop_width, height)
    crop_height = min(height, max(1, round(width * target_h / target_w)))
    top = round((height - crop_height) * TOP_SHARE)
    return (0, top, width, top + crop_height)


def blue_share(image: Image.Image) -> float:
    """The share (0-1) of the background that is blue, estimated from the border: the top band
    and the side bands of the upper two thirds of a 70 × 98 copy of the photo (the bottom and
    the lower sides are the pupil's shoulders), in HSV, counting the pixels of a blue hue that
    are neither pale nor dark. The same pixels give the same answer: deterministic."""
    small = image.convert("RGB").resize(SAMPLE_SIZE, Image.Resampling.BOX).convert("HSV")
    width, height = small.size
    pixels = small.tobytes()  # h, s, v, h, s, v, … row by row
    side_rows = round(height * SIDE_BANDS_DOWN_TO)
    sampled = blue = 0
    for y in range(side_rows):
        columns = range(width) if y < BAND else [*range(BAND), *range(width - BAND, width)]
        for x in columns:
            offset = (y * width + x) * 3
            hue, saturation, value = pixels[offset], pixels[offset + 1], pixels[offset + 2]
            sampled += 1
            if hue in BLUE_HUES and saturation >= BLUE_MIN_SATURATION and value >= BLUE_MIN_VALUE:
                blue += 1
    return blue / sampled if sampled else 0.0


def background_warnings(share: float) -> list[str]:
    if share >= BLUE_SHARE_REQUIRED:
        return []
    return [
        f"照片背景不是蓝色（边缘只有约 {round(share * 100)}% 为蓝色）：学籍照片应为蓝底二寸证件照，"
        "请核对；如无合格照片，可先保存，之后再更换。"
    ]


def stored_photo_warnings(handle) -> list[str]:
    """The warnings of a stored photo (an open file), as the pupil's page shows them."""
    with Image.open(handle, formats=["JPEG", "PNG"]) as image:
        if image.width * image.height > MAX_PIXELS:
            return []
        image.load()
        return background_warnings(blue_share(image))
