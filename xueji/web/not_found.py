"""The app's own 404 page (templates/404.html, in Chinese) in development too.

With DEBUG off Django answers an unknown address or an Http404 with ``handler404``
(xueji.web.views.error_404). With DEBUG on it shows its technical page instead (English, the URL
patterns listed), which is what people trying the demo (``make run``, development) met. This
middleware gives them the same page as production:

- an Http404 raised by a view: ``process_exception`` (after NotAllowedMiddleware, inner in
  settings.MIDDLEWARE, has recorded a refused lookup in the audit log);
- an address that matches no URL: the resolver fails before any view, so the technical 404 comes
  back as a response; it is recognised as a 404 of a request that was never resolved.

A view that answers 404 itself (an API's JSON "not found") is left as it is. With DEBUG off the
middleware does nothing: Django's handler already does the same.
"""

from django.conf import settings
from django.http import Http404

from xueji.web.views import error_404


class NotFoundPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.DEBUG and response.status_code == 404 and getattr(request, "resolver_match", None) is None:
            return error_404(request)
        return response

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return error_404(request, exception)
        return None
