"""A real Celery worker, on the real broker, runs the core's periodic task."""

import time
from datetime import timedelta

from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from tests.conftest import transactional
from xueji.accounts.models import LoginThrottle
from xueji.accounts.tasks import prune_login_throttles
from xueji.celery import app


@transactional
def test_worker_prunes_stale_login_counters():
    now = timezone.now()
    LoginThrottle.objects.create(username="stale", failures=2, last_failure_at=now - timedelta(days=2))
    LoginThrottle.objects.create(username="recent", failures=2, last_failure_at=now - timedelta(minutes=5))
    LoginThrottle.objects.create(
        username="locked", failures=5, last_failure_at=now - timedelta(days=2), locked_until=now + timedelta(minutes=5)
    )
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        prune_login_throttles.delay()
        deadline = time.monotonic() + 20
        while LoginThrottle.objects.filter(username="stale").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert set(LoginThrottle.objects.values_list("username", flat=True)) == {"recent", "locked"}


def test_pruning_twice_changes_nothing_the_second_time(db):
    LoginThrottle.objects.create(username="stale", failures=1, last_failure_at=timezone.now() - timedelta(days=3))
    assert prune_login_throttles() == 1
    assert prune_login_throttles() == 0


def test_beat_schedule_names_real_tasks():
    from django.conf import settings

    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
