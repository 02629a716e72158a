"""A real Celery worker, on the real broker, runs a bureau's promotion asked for on demand."""

import time
from datetime import date

from celery.contrib.testing.worker import start_worker

from schoolyear import services
from schoolyear.models import PromotionRun
from tests.conftest import transactional
from tests.schoolyear.conftest import at
from xueji.celery import app
from xueji.pupils.models import Pupil


@transactional
def test_a_worker_runs_the_promotion_the_bureau_asked_for(world):
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        with at(date(2027, 8, 10)):
            run = services.promotion_run_request(actor=world.user("officer_a"), bureau=world.units["county_a"])
        deadline = time.monotonic() + 60
        while PromotionRun.objects.get(pk=run.pk).status != "done" and time.monotonic() < deadline:
            time.sleep(0.2)
    run.refresh_from_db()
    assert (run.status, run.schools_done, run.promoted, run.attempts) == ("done", 3, 4, 1)
    assert Pupil.objects.get(pk=world.pupils["a1"].pk).grade == 4
    assert Pupil.objects.get(pk=world.pupils["b1"].pk).grade == 3  # county B's promotion is its own


@transactional
def test_the_daily_task_hands_each_bureaus_run_to_a_worker(world):
    """On 10 August the beat's daily task starts both counties' runs, each a task of its own."""
    from datetime import datetime

    import time_machine

    from schoolyear.tasks import promotion_daily
    from tests.schoolyear.conftest import SHANGHAI

    with time_machine.travel(datetime(2027, 8, 10, 1, 30, tzinfo=SHANGHAI)):
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
            promotion_daily.delay()
            deadline = time.monotonic() + 60
            while (PromotionRun.objects.filter(status="done").count() < 2) and time.monotonic() < deadline:
                time.sleep(0.2)
    assert sorted(PromotionRun.objects.values_list("bureau__name", "status", "trigger")) == [
        ("农安县教育局", "done", "schedule"), ("榆树市教育局", "done", "schedule")]
    assert [Pupil.objects.get(pk=world.pupils[k].pk).grade for k in ("a1", "a2", "b1")] == [4, 9, 4]


def test_the_daily_task_is_in_the_beat_schedule():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["promotion-daily"]
    assert entry["task"] == "schoolyear.tasks.promotion_daily" and entry["task"] in app.tasks
