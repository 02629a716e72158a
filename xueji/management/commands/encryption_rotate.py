"""`manage.py encryption_rotate`: re-encrypt everything kept under an older key with the current
one (the first of XUEJI_ENCRYPTION_KEYS), so that the old key can then be dropped from the list.

How to rotate: put the new key first in XUEJI_ENCRYPTION_KEYS (`--new-key ID` prints one),
keeping the old ones after it; restart the web and the workers (new values are then written with
the new key, old ones still read); run this command; when it reports nothing left, remove the old
keys. It works in batches (one transaction each) and only picks what still carries another key id:
an interrupted run is continued by running it again.

The work is a list of named steps (xueji/key_rotation.py): the encrypted columns of every model,
the private files on disk, and what the apps register (the enrolment uploads' bytes).
"""

from django.core.management.base import BaseCommand, CommandError

from xueji import crypto
from xueji.db_roles import connected_as_owner
from xueji.key_rotation import ROTATION_STEPS


class Command(BaseCommand):
    help = "用当前密钥（XUEJI_ENCRYPTION_KEYS 的第一个）重新加密仍使用旧密钥的数据；可中断后重新运行继续。"

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="每个事务处理的行数（默认 1000）")
        parser.add_argument("--max-batches", type=int, default=None, help="每一步最多处理的批数（用于分段运行）")
        parser.add_argument("--step", action="append", default=None, help="只运行指定的步骤（可重复）")
        parser.add_argument("--new-key", metavar="ID", default=None, help="只打印一个新的密钥项，不做轮换")

    def handle(self, *args, batch_size, max_batches, step, new_key, **options):
        if new_key:
            if not new_key.isalnum():
                raise CommandError("密钥编号只能由字母和数字组成。")
            self.stdout.write(crypto.new_key_text(new_key))
            return
        if batch_size < 1:
            raise CommandError("--batch-size 应为正整数。")
        crypto.keyring_reset()
        ring = crypto.keyring()
        names = [s.name for s in ROTATION_STEPS]
        unknown = set(step or []) - set(names)
        if unknown:
            raise CommandError(f"没有这些步骤：{'、'.join(sorted(unknown))}（可用：{'、'.join(names)}）")
        self.stdout.write(f"当前密钥：{ring.current_id}")
        # As the owner (DATABASE_OWNER_URL): the field history is append-only for the application.
        with connected_as_owner():
            total = self._rotate(step, batch_size, max_batches)
        self.stdout.write(f"encryption_rotate: {total} re-encrypted (重新加密共 {total} 项)")

    def _rotate(self, step, batch_size, max_batches) -> int:
        total = 0
        for rotation in ROTATION_STEPS:
            if step and rotation.name not in step:
                continue
            self.stdout.write(f"[{rotation.name}] {rotation.description}")
            count = rotation.run(
                batch_size=batch_size,
                max_batches=max_batches,
                report=lambda what, n, name=rotation.name: self.stdout.write(f"  [{name}] {what}: {n}"),
            )
            self.stdout.write(f"[{rotation.name}] 重新加密 {count} 项")
            total += count
        return total
