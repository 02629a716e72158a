"""Photos of demo pupils, so that a demo class's 学籍卡 print with photos.

No real child's face may be in a demo: each photo is drawn with Pillow, a head-and-shoulders
silhouette on a blue background (what a 学籍 photo is, so the pupil's page warns of nothing), its
colours chosen by the demo's seeded random. The drawings are imported the way a registrar imports
a class's photos, as a zip named by 学籍号 through ``photos_import_zip``: what is stored is what an
upload stores (checked, cut to 35 × 49 mm, re-encoded), and the audit log says who did it.

One class per school: drawing and preparing a photo costs about 8 ms, so every demo pupil
would add more than ten seconds to ``make run``; one class adds about a second in all.
"""

import io
import random
import zipfile

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from xueji.accounts.models import User
from xueji.codes import Gender
from xueji.documents.cards import class_pupils
from xueji.photos.images import PHOTO_SIZE
from xueji.photos.services import photos_import_zip
from xueji.pupils.models import Pupil, SchoolClass

# Colours a phone photo of a pupil might have: blue backgrounds from sky blue to a deeper blue
# (all inside photo_images.BLUE_HUES), a few skin tones, dark hair, school uniforms and shirts.
SKINS = [(243, 210, 184), (236, 196, 164), (226, 184, 150), (212, 168, 132)]
HAIRS = [(22, 20, 20), (38, 30, 26), (56, 42, 34)]
CLOTHES = [(236, 238, 240), (178, 34, 44), (28, 44, 84), (82, 86, 94), (26, 92, 64), (222, 214, 196)]


def portrait(rng: random.Random, gender: str) -> bytes:
    """A JPEG of PHOTO_SIZE: a head-and-shoulders silhouette on blue, long hair for girls."""
    width, height = PHOTO_SIZE
    background = (rng.randrange(45, 75), rng.randrange(120, 155), rng.randrange(205, 235))
    skin, hair, clothes = rng.choice(SKINS), rng.choice(HAIRS), rng.choice(CLOTHES)
    neck_colour = tuple(round(channel * 0.92) for channel in skin)  # the neck is in the chin's shade
    image = Image.new("RGB", PHOTO_SIZE, background)
    draw = ImageDraw.Draw(image)
    centre = width // 2 + rng.randrange(-6, 7)
    half = rng.randrange(98, 110)  # half the face's width: the face is about half the photo's width
    face = round(half * rng.uniform(2.45, 2.6))
    top = rng.randrange(62, 80)  # the top of the hair
    chin = top + 40 + face
    neck = half * 0.42
    # Back to front: long hair, neck, shoulders and the neckline, ears, hair, the face over the
    # lower half of the hair (which leaves a hairline).
    if gender == Gender.FEMALE:
        draw.rounded_rectangle([centre - half - 16, top, centre + half + 16, chin + rng.randrange(10, 70)],
                               radius=half, fill=hair)
    draw.rectangle([centre - neck, chin - 40, centre + neck, chin + 80], fill=neck_colour)
    draw.ellipse([-90, chin + 50, width + 90, chin + 50 + 2 * (height - chin)], fill=clothes)
    draw.polygon([(centre - neck, chin + 45), (centre, chin + 95), (centre + neck, chin + 45)], fill=neck_colour)
    ears = (top + 40 + face * 0.38, top + 40 + face * 0.6)
    draw.ellipse([centre - half - 12, ears[0], centre - half + 14, ears[1]], fill=skin)
    draw.ellipse([centre + half - 14, ears[0], centre + half + 12, ears[1]], fill=skin)
    draw.ellipse([centre - half - 6, top, centre + half + 6, top + face * 0.75], fill=hair)
    draw.ellipse([centre - half, top + 40, centre + half, chin], fill=skin)
    output = io.BytesIO()
    image.save(output, "JPEG", quality=92)
    return output.getvalue()


def photos_zip(pupils: list[Pupil], rng: random.Random) -> ContentFile:
    """A zip of one drawing per pupil, named by 学籍号 as a registrar names them."""
    buffer = io.BytesIO()
    # Stored, not deflated: JPEGs do not get smaller, and so the demo spends no time on it.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for pupil in pupils:
            archive.writestr(f"{pupil.student_number}.jpg", portrait(rng, pupil.gender))
    return ContentFile(buffer.getvalue(), name="班级照片（演示）.zip")


def load_class_photos(school_class: SchoolClass, registrar: User, rng: random.Random) -> int:
    """Import photos for the pupils of the class whose cards print (cards.class_pupils); how
    many. Nothing once any of them has a photo, as the rest of the demo: loading it again changes
    nothing, and a photo changed by hand in the demo stays."""
    pupils = list(class_pupils(registrar, school_class))
    if not pupils or any(pupil.photo for pupil in pupils):
        return 0
    result = photos_import_zip(actor=registrar, school=school_class.school, upload=photos_zip(pupils, rng))
    if result.problems or result.warned:
        # A drawing that is refused or warned about is a mistake in this module: say so loudly
        # rather than leave a demo class half without photos.
        details = [problem.reason for problem in result.problems]
        details += [warning for photo in result.warned for warning in photo.warnings]
        raise RuntimeError(f"演示照片导入有误：{details[:3]}")
    return len(result.saved)
