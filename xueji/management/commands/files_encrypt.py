"""Encrypt the private files still plain on disk (written before files were encrypted), and move
files under an older key to the current one.

    manage.py files_encrypt [--batch-size 200]

Run once after upgrading; safe to run again at any time: a file already under the current key is
recognised by its first bytes and left alone, and an interrupted run carries on where it stopped
(xueji/files/encrypted.py, ``rotate_files``).
"""

from django.core.management.base import BaseCommand, CommandParser

from xueji.files.encrypted import rotate_files


class Command(BaseCommand):
    help = "加密私有文件夹中尚未加密的文件，并把旧密钥加密的文件改用当前密钥。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=200)

    def handle(self, *args, batch_size: int, **options) -> None:
        count = rotate_files(batch_size=max(1, batch_size))
        self.stdout.write(f"已加密 {count} 个文件。")
