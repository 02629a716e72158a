"""Django's list of the core's models. They live in the packages that own them (accounts,
calendar, pupils, approvals, documents, exports, files): import them from there, never from here."""

from xueji.accounts import models as accounts  # noqa: F401
from xueji.approvals import models as approvals  # noqa: F401
from xueji.calendar import models as calendar  # noqa: F401
from xueji.documents import models as documents  # noqa: F401
from xueji.exports import models as exports  # noqa: F401
from xueji.files import models as files  # noqa: F401
from xueji.pupils import models as pupils  # noqa: F401
