"""Where private uploads go: random names under MEDIA_ROOT, which is outside the web root and
never routed; files are served only by views that check who may see them."""

import secrets
from pathlib import PurePosixPath


def private_upload_path(instance, filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower()[:8]
    folder = instance._meta.model_name
    return f"{folder}/{secrets.token_hex(16)}{suffix}"
