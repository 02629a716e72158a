"""Django's admin site for the system administrator: each package registers its own pages."""

from xueji.accounts import admin as accounts  # noqa: F401
from xueji.calendar import admin as calendar  # noqa: F401
from xueji.pupils import admin as pupils  # noqa: F401
