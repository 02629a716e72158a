"""Loading the demo: the world (units, people, pupils), then each app's data, then the photos.

Every loader is idempotent and takes a function that prints a line. The apps' loaders run in the
order their data builds on one another (the transfers' hand-overs before the paper archive, the
changes before the monthly report that counts them); the photos come last, so that they go to the
pupils who are in the photo classes once the demo's transfers and other changes are done, and
every card such a class prints has one.
"""

import random

from demo import (
    archives,
    cancellation,
    changes,
    dropouts,
    enrollment,
    reports,
    schoolyear,
    special_education,
    suspensions,
    transfers,
    world,
)

APP_LOADERS = (
    enrollment.load,
    transfers.load,
    suspensions.load,
    dropouts.load,
    cancellation.load,
    archives.load,
    changes.load,
    schoolyear.load,
    special_education.load,
    reports.load,
)


def demo_load(*, stdout=None) -> None:
    """Build the demo data if it is not there yet."""
    say = stdout.write if stdout else (lambda message: None)
    rng = random.Random(2026)
    schools = world.world_load(say, rng)
    for loader in APP_LOADERS:
        loader(say)
    world.photos_load(schools, say, rng)
