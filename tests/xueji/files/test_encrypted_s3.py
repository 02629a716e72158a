"""Private files on an S3-compatible store (xueji/files/encrypted_s3.py), encrypted by us before
upload with the local folder's implementation.

The server is moto's standalone server (`moto_server`, moto[server] of requirements-dev.txt): a
real S3 implementation answering HTTP on 127.0.0.1, started here as a process of its own and
spoken to by boto3 through django-storages exactly as MinIO would be (MinIO itself has no Debian
or PyPI package). Nothing in-process is patched.
"""

import base64
import secrets
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests
from django.core.files.base import ContentFile

from tests.drills import free_port
from xueji import crypto
from xueji.files.encrypted import MAGIC, file_key_id, rotate_files
from xueji.files.encrypted_s3 import EncryptedS3Storage

SECRET_TEXT = b"ZHANG-XIAOMING-HUKOU-220122"
ACCESS_KEY, SECRET_KEY = "xueji-test-access", "xueji-test-secret-" + "x" * 20
BUCKET = "xueji-private"


@pytest.fixture(scope="module")
def s3_server():
    port = free_port()
    moto_server = Path(sys.executable).parent / "moto_server"
    process = subprocess.Popen([str(moto_server), "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(endpoint, timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError("moto_server did not start") from None
                time.sleep(0.2)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def bucket(s3_server):
    client = boto3.client("s3", endpoint_url=s3_server, aws_access_key_id=ACCESS_KEY,
                          aws_secret_access_key=SECRET_KEY, region_name="us-east-1")
    name = f"{BUCKET}-{secrets.token_hex(4)}"
    client.create_bucket(Bucket=name)
    return client, name


@pytest.fixture
def storage(s3_server, bucket):
    # The options settings.py gives for XUEJI_STORAGE=s3.
    return EncryptedS3Storage(
        endpoint_url=s3_server, bucket_name=bucket[1], access_key=ACCESS_KEY, secret_key=SECRET_KEY,
        region_name="us-east-1", location="private", file_overwrite=False, default_acl="private",
        querystring_auth=True, addressing_style="path", signature_version="s3v4",
    )


@pytest.fixture
def keys(settings):
    def _set(text: str) -> None:
        settings.ENCRYPTION_KEYS = text
        crypto.keyring_reset()

    yield _set
    crypto.keyring_reset()


def key_text(key_id: str) -> str:
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip('=')}"


def stored_object(bucket, key: str) -> bytes:
    client, name = bucket
    return client.get_object(Bucket=name, Key=key)["Body"].read()


def test_the_store_holds_ciphertext_and_readers_get_the_plain_bytes(storage, bucket):
    content = b"%PDF-1.4\n" + SECRET_TEXT * 50
    name = storage.save("exportfile/3f2a.pdf", ContentFile(content))

    on_server = stored_object(bucket, f"private/{name}")
    assert on_server.startswith(MAGIC)
    assert SECRET_TEXT not in on_server
    with storage.open(name) as handle:
        assert handle.read() == content
    assert storage.size(name) == len(content)  # the plain size, from a ranged read of the head
    assert storage.exists(name)


def test_a_name_taken_gets_a_new_name_never_overwritten(storage):
    first = storage.save("photo/a.jpg", ContentFile(b"first"))
    second = storage.save("photo/a.jpg", ContentFile(b"second"))
    assert first != second
    assert storage.open(first).read() == b"first"
    assert storage.open(second).read() == b"second"


def test_an_object_copied_over_another_name_does_not_open(storage, bucket):
    client, name = bucket
    kept = storage.save("photo/one.jpg", ContentFile(SECRET_TEXT))
    client.copy_object(Bucket=name, Key="private/photo/two.jpg", CopySource={"Bucket": name, "Key": f"private/{kept}"})
    with pytest.raises(FileNotFoundError):  # EncryptedFileUnreadable: "the file is missing" to the pages
        storage.open("photo/two.jpg").read()


def test_a_missing_object_is_a_missing_file(storage):
    with pytest.raises(FileNotFoundError):
        storage.open("photo/none.jpg")
    assert not storage.exists("photo/none.jpg")


def test_key_rotation_moves_every_object_to_the_current_key(storage, bucket, keys):
    old = key_text("old1")
    keys(old)
    name = storage.save("attachment/p.pdf", ContentFile(SECRET_TEXT))
    assert file_key_id(stored_object(bucket, f"private/{name}")) == "old1"

    keys(f"{key_text('new2')},{old}")
    assert rotate_files(batch_size=1, storage=storage) == 1
    assert file_key_id(stored_object(bucket, f"private/{name}")) == "new2"
    assert storage.open(name).read() == SECRET_TEXT
    assert rotate_files(storage=storage) == 0  # idempotent
