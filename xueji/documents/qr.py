"""QR codes on printed documents, drawn here with the ``qrcode`` library (the one that draws the
authenticator's enrolment code, xueji/accounts/two_factor.py): never by an outside service.

A PNG in a ``data:`` URL, which xueji/documents/pdf.py's fetcher reads without fetching anything;
one module per QR-code pixel at 4 px, printed at a fixed size in millimetres by print.css, so it
stays sharp whatever the printer.
"""

import base64
import io

import qrcode
import qrcode.constants
import qrcode.image.pil

from xueji.documents.pdf import PNG_DATA_URL


def qr_png(text: str) -> bytes:
    # M: a quarter of the code may be smudged or creased on a paper form and it still reads.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=4, border=2)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(image_factory=qrcode.image.pil.PilImage).save(buffer, format="PNG")
    return buffer.getvalue()


def qr_data_url(text: str) -> str:
    return PNG_DATA_URL + base64.b64encode(qr_png(text)).decode()
