"""What every API endpoint shares: the error handler."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import Throttled
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from xueji.accounts.permissions import NotAllowed, audit_lookup_denied, audit_refusal
from xueji.accounts.scoping import NotInScope
from xueji.web.throttles import throttled_message


def exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError (raised by services) as a 400 with the
    Chinese messages, keyed by field where the service said which, and a refusal (NotAllowed) as
    a 403, or a 404 where it hides the object, audited as the pages audit it."""
    if isinstance(exc, NotAllowed):
        audit_refusal(exc, context.get("request"))
        detail = "未找到。" if exc.hide else exc.message
        return Response({"detail": detail, "code": exc.code}, status=exc.status)
    if isinstance(exc, NotInScope):
        audit_lookup_denied(exc, context.get("request"))  # then DRF's 404, as for any other
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = DRFValidationError(detail)
    if isinstance(exc, Throttled):
        # A 429 (xueji/web/throttles.py): DRF's handler sets Retry-After from the wait; the message is ours.
        response = drf_exception_handler(exc, context)
        response.data = {"detail": throttled_message(exc.wait), "code": "throttled"}
        return response
    return drf_exception_handler(exc, context)
