"""Reading a zip of pupils' photos, safely.

The zip is written by whoever sent it, and nothing of it is ever extracted to disk: each file is
inflated into memory, within limits, and handed to the photo checks (xueji.photos.images).

Refused whole (PhotoZipRefused, nothing read further, nothing saved) — what no honest zip of
photos does, or what would cost the server more than a school's photos should:
- not a zip, damaged, encrypted, a compression method other than stored/deflate;
- more than MAX_ENTRIES entries; declared sizes adding up to more than MAX_TOTAL_BYTES; an entry
  inflating more than MAX_COMPRESSION_RATIO times (photos hardly compress: a high ratio is a zip
  bomb); more bytes coming out while inflating than the directory declared or than the limits;
- names that climb out of the folder ("../", "/etc/…", "C:\\…") and two entries of one name.

Per file (ZipEntry.problem, the others go on): too large for a photo, too deeply nested (files
in folders are fine: zipping a folder puts its name in front of every file), or damaged.
System files of macOS and Windows (__MACOSX/, .DS_Store, Thumbs.db, desktop.ini) are skipped.
"""

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError

from xueji.photos.images import MAX_PHOTO_BYTES, too_large

MAX_ZIP_BYTES = 200 * 1024 * 1024
MAX_ENTRIES = 1000  # files and folders; a school with more pupils sends a zip per grade
MAX_TOTAL_BYTES = 500 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_ABOVE = 1024 * 1024
MAX_FOLDER_DEPTH = 3  # "2026照片/三年级/1班/220122….jpg"
CHUNK = 64 * 1024

SYSTEM_FILES = {".ds_store", "thumbs.db", "desktop.ini"}
REPACK = "请把照片放在一个文件夹里，用“发送到 → 压缩(zipped)文件夹”或压缩软件的 ZIP 格式重新打包后再上传。"
_DRIVE = re.compile(r"^[A-Za-z]:")


class PhotoZipRefused(ValidationError):
    """The zip is refused whole; ``code`` says why (not_zip, too_large, too_many_entries,
    zip_bomb, unsafe_names, encrypted, unsupported) and the message says it in Chinese."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message, code=code)
        self.code = code


@dataclass(frozen=True)
class ZipEntry:
    """One file of the zip: its path as shown to the user, its own name (for matching), and
    either its bytes or the reason it was not read."""

    path: str
    name: str
    data: bytes = b""
    problem: str = ""
    skipped: bool = False  # a system file (__MACOSX/, Thumbs.db …), not a photo of anyone


def read_photo_zip(upload) -> Iterator[ZipEntry]:
    """The files of an uploaded zip, one at a time (a photo is read when the caller gets to it).
    The whole directory is checked before the first file is inflated; PhotoZipRefused may
    still come while inflating (a directory that lies about the sizes)."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_ZIP_BYTES:
        raise PhotoZipRefused(
            f"压缩包太大（{size / 1048576:.0f} MB），上限为 {MAX_ZIP_BYTES // 1048576} MB：请按年级或班级分成几个压缩包上传。",
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    if head[:2] != b"PK":
        raise PhotoZipRefused("上传的文件不是 zip 压缩包（按文件内容识别）。" + REPACK, code="not_zip")
    try:
        archive = zipfile.ZipFile(upload)
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise PhotoZipRefused("压缩包已损坏，无法读取。" + REPACK, code="not_zip") from None
    with archive:
        paths = _check_directory(infos)
        total = 0
        for info, path in zip(infos, paths, strict=True):
            if info.is_dir():
                continue
            name = PurePosixPath(path).name
            if _is_system_file(path):
                yield ZipEntry(path, name, skipped=True)
                continue
            if path.count("/") > MAX_FOLDER_DEPTH:
                yield ZipEntry(path, name, problem=f"位于太深的文件夹中（最多 {MAX_FOLDER_DEPTH} 层），未读取。")
                continue
            if info.file_size > MAX_PHOTO_BYTES:
                yield ZipEntry(path, name, problem=too_large(info.file_size))
                continue
            try:
                data = _inflate(archive, info)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError):
                yield ZipEntry(path, name, problem="在压缩包中已损坏，无法读取。")
                continue
            total += len(data)
            if total > MAX_TOTAL_BYTES:
                raise _bomb()
            yield ZipEntry(path, name, data=data)


def _check_directory(infos: list[zipfile.ZipInfo]) -> list[str]:
    """Everything the zip's directory says, checked before a byte is inflated; the entries'
    paths as the user named them."""
    if len(infos) > MAX_ENTRIES:
        raise PhotoZipRefused(
            f"压缩包中有 {len(infos)} 个文件和文件夹，一次最多 {MAX_ENTRIES} 个：请按年级或班级分成几个压缩包上传。",
            code="too_many_entries",
        )
    if sum(info.file_size for info in infos) > MAX_TOTAL_BYTES:
        raise _bomb()
    paths = []
    for info in infos:
        if info.flag_bits & 0x1:
            raise PhotoZipRefused("压缩包设置了密码，请去掉密码后重新打包上传。", code="encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise PhotoZipRefused("压缩包使用了不支持的压缩方式。" + REPACK, code="unsupported")
        if info.file_size > RATIO_CHECKED_ABOVE and info.file_size > info.compress_size * MAX_COMPRESSION_RATIO:
            raise _bomb()
        path = _display_path(info)
        if _unsafe(path):
            raise PhotoZipRefused(
                f"压缩包中的文件名“{path[:80]}”指向文件夹之外（含“..”或绝对路径），为安全起见整个压缩包不予处理。" + REPACK,
                code="unsafe_names",
            )
        paths.append(path.replace("\\", "/").strip("/"))
    if len(set(paths)) != len(paths):
        # Two entries of one name: one reader would take the first, another the last.
        raise PhotoZipRefused("压缩包结构异常（有重名的条目），为安全起见整个压缩包不予处理。" + REPACK, code="unsafe_names")
    return paths


def _display_path(info: zipfile.ZipInfo) -> str:
    """The entry's name as its author wrote it. Zips made on Chinese Windows without the UTF-8
    flag hold GBK names, which zipfile reads as cp437 ("ÕÅÈý.jpg" for 张三.jpg)."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("gbk")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name


def _unsafe(path: str) -> bool:
    normalised = path.replace("\\", "/")
    if normalised.startswith("/") or _DRIVE.match(normalised) or "\x00" in normalised:
        return True
    return any(part == ".." for part in normalised.split("/"))


def _is_system_file(path: str) -> bool:
    name = PurePosixPath(path).name.lower()
    return path.startswith("__MACOSX/") or name in SYSTEM_FILES or name.startswith("._")


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The entry's bytes, inflated chunk by chunk and never beyond its declared size (nor a
    photo's limit): a directory that lies is caught after at most that much."""
    limit = min(info.file_size, MAX_PHOTO_BYTES)
    chunks, read = [], 0
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK):
            read += len(chunk)
            if read > limit:
                raise _bomb()
            chunks.append(chunk)
    return b"".join(chunks)


def _bomb() -> PhotoZipRefused:
    return PhotoZipRefused(
        "压缩包解压后的大小异常（可能是恶意构造的“zip 炸弹”），整个压缩包不予处理。照片本身几乎不能再压缩，"
        f"正常的照片压缩包解压后不会超过 {MAX_TOTAL_BYTES // 1048576} MB。",
        code="zip_bomb",
    )
