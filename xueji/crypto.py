"""Encryption at rest: SM4-GCM (GB/T 32907) values that carry their key id, and HMAC-SM3 blind indexes.

What a level-3 system's 商用密码应用安全性评估 (GB/T 39786-2021) expects of stored personal data:
the 国密 block cipher in an authenticated mode, keys kept outside the database and the repository,
and keys that rotate. The `cryptography` package carries SM4 and SM3 (OpenSSL's).

- A value is stored as text, `sm4:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`, so a column
  stays a text column and `pg_dump` shows only that. The `context` (the column's name, say) is
  authenticated with it: a value copied into another column does not decrypt.
- The keys come from the environment (settings.ENCRYPTION_KEYS, the first is the current one);
  an old key stays listed until `manage.py encryption_rotate` has re-encrypted everything with
  the new one. Outside production a key file is made in the data folder on first use
  (`keys.json`), as `make run` needs one; production refuses to start without the variables.
- A blind index is HMAC-SM3 of the normalised value with a separate key: equal values give equal
  indexes, so an exact lookup (dedupe, search by the full ID number, a unique index) stays one
  index scan, and nothing about the value is learnt without the key.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PREFIX = "sm4"
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 16  # SM4 is a 128-bit block cipher with a 128-bit key
BLIND_KEY_BYTES = 32


class DecryptionFailed(Exception):
    """A stored value that no configured key opens: a wrong or missing key, or a tampered value."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]  # key id → key
    current_id: str
    blind_key: bytes

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]


# Keys --------------------------------------------------------------------------------------------


def parse_keys(text: str) -> tuple[dict[str, bytes], str]:
    """`XUEJI_ENCRYPTION_KEYS`: "id:base64key,id:base64key", the first the current one."""
    keys: dict[str, bytes] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key_id, _, encoded = item.partition(":")
        key_id = key_id.strip()
        if not key_id or not key_id.isalnum():
            raise ValueError("XUEJI_ENCRYPTION_KEYS: each key is id:base64 with a letters-and-digits id")
        key = _b64decode(encoded.strip())
        if len(key) != KEY_BYTES:
            raise ValueError(f"XUEJI_ENCRYPTION_KEYS: key {key_id} must be {KEY_BYTES} bytes (base64)")
        keys[key_id] = key
    if not keys:
        raise ValueError("XUEJI_ENCRYPTION_KEYS is empty")
    return keys, next(iter(keys))


def parse_blind_key(text: str) -> bytes:
    key = _b64decode(text.strip())
    if len(key) < BLIND_KEY_BYTES:
        raise ValueError(f"XUEJI_BLIND_INDEX_KEY must be at least {BLIND_KEY_BYTES} bytes (base64)")
    return key


def development_keys(data_dir: Path) -> tuple[str, str]:
    """The (keys, blind key) texts of `<data dir>/keys.json`, made on first use: never for production."""
    path = Path(data_dir) / "keys.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        content = json.dumps({
            "XUEJI_ENCRYPTION_KEYS": f"dev1:{_b64encode(secrets.token_bytes(KEY_BYTES))}",
            "XUEJI_BLIND_INDEX_KEY": _b64encode(secrets.token_bytes(BLIND_KEY_BYTES)),
        })  # fmt: skip
        try:
            # Exclusive creation: of several processes starting at once, one writes and all read it.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(content)
    for _ in range(50):
        text = path.read_text()
        if text:
            stored = json.loads(text)
            return stored["XUEJI_ENCRYPTION_KEYS"], stored["XUEJI_BLIND_INDEX_KEY"]
    raise RuntimeError(f"{path} is empty")


def new_key_text(key_id: str) -> str:
    """One `id:base64` item for XUEJI_ENCRYPTION_KEYS (for `manage.py encryption_rotate --new-key`)."""
    return f"{key_id}:{_b64encode(secrets.token_bytes(KEY_BYTES))}"


@cache
def keyring() -> Keyring:
    from django.conf import settings

    keys, current_id = parse_keys(settings.ENCRYPTION_KEYS)
    return Keyring(keys=keys, current_id=current_id, blind_key=parse_blind_key(settings.BLIND_INDEX_KEY))


def keyring_reset() -> None:
    """Forget the cached keys (tests that change the settings, the rotation command)."""
    keyring.cache_clear()


# Values ------------------------------------------------------------------------------------------


def encrypt_bytes(plaintext: bytes, *, context: str, ring: Keyring | None = None) -> bytes:
    """nonce ‖ ciphertext ‖ tag, with the key id in front: b"<id>:" + …, for files."""
    ring = ring or keyring()
    return ring.current_id.encode() + b":" + _seal(ring.current, plaintext, context)


def decrypt_bytes(sealed: bytes, *, context: str, ring: Keyring | None = None) -> bytes:
    ring = ring or keyring()
    key_id, separator, body = sealed.partition(b":")
    key = ring.keys.get(key_id.decode("ascii", "replace")) if separator else None
    if key is None:
        raise DecryptionFailed("unknown key id")
    return _open(key, body, context)


def encrypt_text(plaintext: str, *, context: str, ring: Keyring | None = None) -> str:
    ring = ring or keyring()
    body = _seal(ring.current, plaintext.encode("utf-8"), context)
    return f"{PREFIX}:{ring.current_id}:{_b64encode(body)}"


def decrypt_text(stored: str, *, context: str, ring: Keyring | None = None) -> str:
    ring = ring or keyring()
    prefix, key_id, body = _split(stored)
    if prefix != PREFIX or key_id not in ring.keys:
        raise DecryptionFailed("not an encrypted value, or an unknown key id")
    try:
        raw = _b64decode(body)
    except ValueError as error:
        raise DecryptionFailed("damaged value") from error
    return _open(ring.keys[key_id], raw, context).decode("utf-8")


def is_encrypted(stored: str) -> bool:
    return isinstance(stored, str) and stored.startswith(PREFIX + ":")


def key_id_of(stored: str) -> str | None:
    return _split(stored)[1] if is_encrypted(stored) else None


def blind_index(value: str, *, purpose: str, ring: Keyring | None = None) -> str:
    """HMAC-SM3 (hex) of the value as given: callers normalise first (upper case, no spaces)."""
    ring = ring or keyring()
    mac = hmac.HMAC(ring.blind_key, hashes.SM3())
    mac.update(purpose.encode("utf-8") + b"\x00" + value.encode("utf-8"))
    return mac.finalize().hex()


# Internals ---------------------------------------------------------------------------------------


def _seal(key: bytes, plaintext: bytes, context: str) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(context.encode("utf-8"))
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    return nonce + ciphertext + encryptor.tag


def _open(key: bytes, body: bytes, context: str) -> bytes:
    if len(body) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionFailed("damaged value")
    nonce, ciphertext, tag = body[:NONCE_BYTES], body[NONCE_BYTES:-TAG_BYTES], body[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(context.encode("utf-8"))
    try:
        return decryptor.update(ciphertext) + decryptor.finalize()
    except InvalidTag as error:
        raise DecryptionFailed("the value does not match its key or context") from error


def _split(stored: str) -> tuple[str, str, str]:
    prefix, _, rest = stored.partition(":")
    key_id, _, body = rest.partition(":")
    return prefix, key_id, body


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError("not base64") from error
