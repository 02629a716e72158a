"""Django's list of enrolment's models. They live in the packages that own them: import them
from there, never from here."""

from enrollment.admission import models as admission  # noqa: F401
from enrollment.intake import models as intake  # noqa: F401
