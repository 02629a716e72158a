"""Private files on an S3-compatible store (MinIO where there are several hosts: docs/scale.md),
encrypted by us before upload with the same implementation as the local folder
(xueji/files/encrypted.py, ``EncryptedStorageMixin``): the store only ever holds ciphertext, and
a file copied to another object's name does not open.

Chosen with XUEJI_STORAGE=s3 (settings.py reads the endpoint, bucket and keys from the
environment). django-storages' S3Storage keeps the bytes; this module adds the raw reads and
writes the mixin asks for, and the rotation of keys for a bucket.
"""

from __future__ import annotations

import logging

from botocore.exceptions import ClientError
from django.core.files.base import ContentFile
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from xueji import crypto
from xueji.files.encrypted import (
    HEAD_BYTES,
    EncryptedFileUnreadable,
    EncryptedStorageMixin,
    file_key_id,
    seal,
    unseal,
)

logger = logging.getLogger(__name__)


def _missing(error: ClientError) -> bool:
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404 or \
        error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404")


class EncryptedS3Storage(EncryptedStorageMixin, S3Storage):
    """S3Storage whose objects are SM4-GCM ciphertext and plain to every reader. Objects are never
    overwritten by a new file of the same name (file_overwrite=False: a new name is drawn)."""

    def _object(self, name):
        return self.bucket.Object(self._normalize_name(clean_name(name)))

    def _get(self, name, **arguments) -> bytes:
        try:
            return self._object(name).get(**arguments)["Body"].read()
        except ClientError as error:
            if _missing(error):
                raise FileNotFoundError(f"File does not exist: {name}") from error
            raise

    def _read_stored(self, name) -> bytes:
        return self._get(name)

    def _stored_head(self, name) -> bytes:
        return self._get(name, Range=f"bytes=0-{HEAD_BYTES - 1}")

    def _write_stored(self, name, plaintext: bytes) -> str:
        # Sealed under the name the storage keeps (the context); S3Storage._save stores it as is.
        name = clean_name(name)
        return S3Storage._save(self, name, ContentFile(seal(plaintext, name=name)))

    def rotate(self, ring: crypto.Keyring, batch_size: int) -> int:
        """Re-encrypt under the current key every object that is not; each object is replaced whole
        (a PUT is atomic), so an interrupted run leaves every file readable. Returns how many."""
        prefix = self._normalize_name("") if self.location else ""
        done = 0
        for summary in self.bucket.objects.filter(Prefix=prefix):
            name = summary.key[len(prefix):].lstrip("/") if prefix else summary.key
            try:
                stored = self._read_stored(name)
            except FileNotFoundError:
                continue  # deleted while we looked
            if file_key_id(stored[:HEAD_BYTES]) == ring.current_id:
                continue
            try:
                plaintext = unseal(stored, name=name, ring=ring)
            except EncryptedFileUnreadable:
                logger.error("rotate_files: no configured key opens %s; left as it is", name)
                continue
            S3Storage._save(self, name, ContentFile(seal(plaintext, name=name, ring=ring)))
            done += 1
            if done % batch_size == 0:
                logger.info("rotate_files: %s files re-encrypted so far", done)
        return done
