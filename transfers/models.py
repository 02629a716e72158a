"""Django's list of the models of 转学. They live in the packages that own them (left: the sending
school's copy of a pupil who left): import them from there."""

from transfers.left import models as left  # noqa: F401
