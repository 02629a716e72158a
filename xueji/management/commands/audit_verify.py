"""Walk the audit log's hash chain and name the first broken link.

    manage.py audit_verify            # one summary line; exit code 1 on a break

The walk reads the entries in batches (--batch), so it handles millions of them; the result is
kept for the audit admins' home page, as the nightly task's is (xueji/accounts/tasks.py).
"""

from django.core.management.base import BaseCommand, CommandError

from xueji.accounts.audit_chain import BATCH_SIZE, run_check


class Command(BaseCommand):
    help = "核对审计日志的哈希链，指出第一处断点（退出码非零表示链已断）。"

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=BATCH_SIZE, help="每批读取的条数")

    def handle(self, *args, batch: int, **options):
        if batch < 1:
            raise CommandError("--batch 须为正整数")
        _check, result = run_check(batch)
        if not result.intact:
            raise CommandError(result.summary(), returncode=1)
        self.stdout.write(result.summary())
