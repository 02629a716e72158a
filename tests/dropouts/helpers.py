"""Shared helpers of the dropout tests."""

import io
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from dropouts import services
from xueji.calendar import workdays


def absent_days(last: date, count: int) -> list[date]:
    """The ``count`` school days up to and including ``last`` (a working day)."""
    return [workdays.add_working_days(last, -i) for i in range(count - 1, 0, -1)] + [last]


def log_absences(actor, pupil, days, explained=False):
    for day in days:
        services.record_absence(actor=actor, pupil=pupil, day=day, explained=explained)


def image_bytes(kind: str = "PNG", size=(64, 48), exif: bool = False) -> bytes:
    """A small real image; with ``exif``, a JPEG carrying a camera model and a GPS position."""
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (90, 140, 60))
    if exif:
        tags = Image.Exif()
        tags[0x0110] = "演示相机"  # Model
        tags[0x8825] = {1: "N", 2: (43.0, 52.0, 30.0), 3: "E", 4: (125.0, 10.0, 5.0)}  # GPSInfo
        image.save(buffer, "JPEG", exif=tags)
    else:
        image.save(buffer, kind)
    return buffer.getvalue()


def photo_upload(name: str = "家访.png", content: bytes | None = None, content_type: str = "image/png"):
    return SimpleUploadedFile(name, image_bytes() if content is None else content, content_type=content_type)
