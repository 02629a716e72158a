"""Django's list of the archives' models. They live in the packages that own them (handover, paper,
rollcall): import them from there, never from here."""

from archives.handover import models as handover  # noqa: F401
from archives.paper import models as paper  # noqa: F401
from archives.rollcall import models as rollcall  # noqa: F401
