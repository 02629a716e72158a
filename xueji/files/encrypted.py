"""Private files encrypted on disk: every file of the default storage (pupils' photos, request
attachments, home-visit photos, card PDFs, export files) is written as SM4-GCM ciphertext, the
same cipher and keys as the encrypted fields (xueji/crypto.py), and read back decrypted.

- On disk a file is ``MAGIC`` followed by ``crypto.encrypt_bytes``' output (``<key id>:`` then
  nonce ‖ ciphertext ‖ tag). The magic tells an encrypted file from a plain one (a file written
  before encryption, until ``rotate_files`` has run); the key id tells which key opens it, so
  keys rotate. The authenticated context is the file's name in the storage: a file copied over
  another one's name does not open.
- One implementation of the encryption (``EncryptedStorageMixin``) over two stores of bytes: the
  local folder (``EncryptedFileSystemStorage``, the default) and an S3-compatible store
  (``xueji/files/encrypted_s3.py``, XUEJI_STORAGE=s3, for several hosts).
- ``EncryptedFileSystemStorage`` is the default storage (settings.STORAGES["default"]): every
  ``FileField`` and ``default_storage`` user goes through it — the views that serve photos,
  attachments and PDFs, Pillow reading a stored photo, WeasyPrint (its fetcher reads photos
  through the default storage, xueji/documents/pdf.py). A file is decrypted in memory: private
  files are at most tens of MB (a class's cards), which a worker holds easily.
- ``rotate_files`` re-encrypts, in batches, every file not under the current key: a plain file
  from before encryption, or one under an older key. Each file is replaced whole (a temporary
  file, then an atomic rename), so an interrupted run leaves every file readable and a new run
  carries on where it stopped. ``manage.py files_encrypt`` runs it; so does key rotation.
"""

from __future__ import annotations

import io
import logging
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, default_storage

from xueji import crypto

logger = logging.getLogger(__name__)

MAGIC = b"XUEJI-SM4\n"
# Temporary files of a write or a rotation in progress: never a stored file's name (those are
# random hex, xueji.files.storage), skipped by the rotation.
TEMPORARY_PREFIX = ".xueji-tmp-"
# The longest key id read from a file's head (ids are short letters and digits).
HEAD_BYTES = len(MAGIC) + 64
OVERHEAD = crypto.NONCE_BYTES + crypto.TAG_BYTES


class EncryptedFileUnreadable(FileNotFoundError):
    """A stored file that no configured key opens (a key removed too early, a damaged file). A
    FileNotFoundError: to the pages that serve a file it is as good as lost, and they already say
    so ("照片文件不存在") instead of failing."""


def seal(plaintext: bytes, *, name: str, ring: crypto.Keyring | None = None) -> bytes:
    return MAGIC + crypto.encrypt_bytes(plaintext, context=_context(name), ring=ring)


def unseal(stored: bytes, *, name: str, ring: crypto.Keyring | None = None) -> bytes:
    """The plain bytes of a stored file: decrypted, or as they are for a file from before
    encryption."""
    if not is_sealed(stored):
        return stored
    try:
        return crypto.decrypt_bytes(stored[len(MAGIC):], context=_context(name), ring=ring)
    except (crypto.DecryptionFailed, UnicodeError) as error:
        raise EncryptedFileUnreadable(f"无法解密文件 {name}") from error


def is_sealed(head: bytes) -> bool:
    return head.startswith(MAGIC)


def file_key_id(head: bytes) -> str | None:
    """The key id of a stored file from its first bytes; None for a plain file."""
    if not is_sealed(head):
        return None
    key_id, separator, _ = head[len(MAGIC):].partition(b":")
    return key_id.decode("ascii", "replace") if separator else None


def _context(name: str) -> str:
    # The name as the storage keeps it ("pupil/3f…a.jpg"): the same however a caller spelled it.
    return "file:" + os.path.normpath(name).replace("\\", "/").lstrip("/")


class DecryptedFile(File):
    """A stored file's plain bytes, in memory. Reopened (a FieldFile opened a second time) it
    reads the stored file again through the storage, never the ciphertext by its path as
    Django's File would."""

    def __init__(self, storage: EncryptedStorageMixin, name: str, mode: str = "rb"):
        self._storage = storage
        super().__init__(self._buffer(name, mode), name=name)
        self.mode = mode

    def _buffer(self, name: str, mode: str):
        content = self._storage.read_plain(name)
        return io.BytesIO(content) if "b" in mode else io.StringIO(content.decode("utf-8"))

    def open(self, mode=None, *args, **kwargs):
        if not self.closed:
            self.seek(0)
        else:
            self.mode = mode or self.mode
            self.file = self._buffer(self.name, self.mode)
        return self


def _plain_bytes(content) -> bytes:
    return b"".join(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8") for chunk in content.chunks())


class EncryptedStorageMixin:
    """The encryption of every private-file storage, whatever keeps the bytes: files are sealed
    (SM4-GCM, the name as context) before the storage underneath sees them and unsealed after it
    returns them. The storage underneath gives ``_read_stored`` (every stored byte),
    ``_stored_head`` (the first HEAD_BYTES) and ``_write_stored`` (may rename on a clash: the
    file is then sealed again under its new name)."""

    def _open(self, name, mode="rb"):
        if any(flag in mode for flag in "wa+x"):
            raise ValueError("加密存储中的文件只能读取，写入请使用 save()。")
        return DecryptedFile(self, name, mode)

    def read_plain(self, name) -> bytes:
        stored = self._read_stored(name)
        try:
            return unseal(stored, name=name)
        except EncryptedFileUnreadable:
            logger.error("stored file %s: no configured key opens it", name)
            raise

    def _save(self, name, content):
        return self._write_stored(name, _plain_bytes(content))

    def size(self, name):
        """The plain size (what a reader gets), from the stored size and the header alone."""
        key_id = file_key_id(self._stored_head(name))
        stored = super().size(name)
        if key_id is None:
            return stored
        return stored - len(MAGIC) - len(key_id) - 1 - OVERHEAD


class EncryptedFileSystemStorage(EncryptedStorageMixin, FileSystemStorage):
    """Private files as SM4-GCM ciphertext in a local folder (MEDIA_ROOT): the default."""

    def _read_stored(self, name) -> bytes:
        with open(self.path(name), "rb") as handle:
            return handle.read()

    def _stored_head(self, name) -> bytes:
        with open(self.path(name), "rb") as handle:
            return handle.read(HEAD_BYTES)

    def _write_stored(self, name, plaintext: bytes) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        if self.directory_permissions_mode is not None:
            os.makedirs(directory, self.directory_permissions_mode, exist_ok=True)
        else:
            os.makedirs(directory, exist_ok=True)
        while True:
            # Encrypted under the name it is written as (the context): a name taken meanwhile
            # means a new name and a new encryption.
            sealed = seal(plaintext, name=name)
            try:
                descriptor = os.open(full_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
            except FileExistsError:
                name = self.get_available_name(name)
                full_path = self.path(name)
                continue
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(sealed)
            break
        if self.file_permissions_mode is not None:
            os.chmod(full_path, self.file_permissions_mode)
        return os.path.relpath(full_path, self.location).replace("\\", "/")


# Rotation --------------------------------------------------------------------------------------


def _stored_files(root: Path) -> Iterator[Path]:
    """Every stored file under the root, in a stable order (so a rerun meets files in the order
    the stopped run did)."""
    for directory, folders, files in os.walk(root):
        folders.sort()
        for file_name in sorted(files):
            if not file_name.startswith(TEMPORARY_PREFIX):
                yield Path(directory) / file_name


def _needs_rotation(path: Path, current_id: str) -> bool:
    with open(path, "rb") as handle:
        return file_key_id(handle.read(HEAD_BYTES)) != current_id


def _rewrite(path: Path, name: str, ring: crypto.Keyring) -> bool:
    """Encrypt one file under the current key, in place; False when it cannot be opened."""
    stored = path.read_bytes()
    if file_key_id(stored[:HEAD_BYTES]) == ring.current_id:
        return False  # done meanwhile (another run)
    try:
        plaintext = unseal(stored, name=name, ring=ring)
    except EncryptedFileUnreadable:
        logger.error("rotate_files: no configured key opens %s; left as it is", name)
        return False
    temporary = path.with_name(f"{TEMPORARY_PREFIX}{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(seal(plaintext, name=name, ring=ring))
            handle.flush()
            os.fsync(handle.fileno())
        if not path.exists():  # deleted meanwhile (a replaced photo): do not bring it back
            temporary.unlink()
            return False
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return True


def rotate_files(batch_size: int = 200, *, storage=None) -> int:
    """Re-encrypt under the current key every private file that is not (plain files from before
    encryption, files under an older key), ``batch_size`` files between progress notes in the
    log. Idempotent and resumable: a file already under the current key is only looked at (its
    first bytes). Returns how many files were re-encrypted."""
    storage = storage or default_storage
    if not isinstance(storage, FileSystemStorage):
        # A store of objects (xueji/files/encrypted_s3.py) walks its own listing.
        return storage.rotate(crypto.keyring(), batch_size)
    root = Path(storage.location)
    if not root.exists():
        return 0
    ring = crypto.keyring()
    done = 0
    batch: list[Path] = []

    def run(paths: list[Path]) -> int:
        count = 0
        for path in paths:
            name = path.relative_to(root).as_posix()
            try:
                count += _rewrite(path, name, ring)
            except FileNotFoundError:
                continue  # deleted while we looked
        return count

    for path in _stored_files(root):
        try:
            if not _needs_rotation(path, ring.current_id):
                continue
        except FileNotFoundError:
            continue
        batch.append(path)
        if len(batch) >= batch_size:
            done += run(batch)
            batch = []
            logger.info("rotate_files: %s files re-encrypted so far", done)
    done += run(batch)
    return done
