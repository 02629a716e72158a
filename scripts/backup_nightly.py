"""The backup service of docker-compose.yml: every night at 02:00 China time, `scripts/backup.py
--keep 14` (the newest 14 backups stay) and then `scripts/restore_drill.py` on the backup just made.

A loop with a sleep rather than cron: nothing to install, and it logs to docker-compose's log
(`docker-compose logs backup`) like the other services. A failed backup or drill is logged and the
loop goes on to the next night.
"""

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
CHINA = datetime.timezone(datetime.timedelta(hours=8), "Asia/Shanghai")  # no summer time since 1991
AT = datetime.time(2, 0)
KEEP = os.environ.get("XUEJI_BACKUP_KEEP", "14")


def next_run(now: datetime.datetime) -> datetime.datetime:
    today = datetime.datetime.combine(now.astimezone(CHINA).date(), AT, tzinfo=CHINA)
    return today if today > now else today + datetime.timedelta(days=1)


def main() -> int:
    while True:
        when = next_run(datetime.datetime.now(CHINA))
        print(f"backup: next at {when:%Y-%m-%d %H:%M} (Asia/Shanghai)", flush=True)
        # Sleeping in short steps: a suspended host or a changed clock does not skip a night.
        while datetime.datetime.now(CHINA) < when:
            time.sleep(min(300, max(1, (when - datetime.datetime.now(CHINA)).total_seconds())))
        backup = subprocess.run([sys.executable, str(SCRIPTS / "backup.py"), "--keep", KEEP], check=False)
        if backup.returncode == 0:
            subprocess.run([sys.executable, str(SCRIPTS / "restore_drill.py")], check=False)


if __name__ == "__main__":
    sys.exit(main())
