"""DRF's browsable API under the Content-Security-Policy (issue 12).

Its pages (the API's answers as HTML, for a signed-in user in a browser) carry DRF's own inline
styles: a <style> element and style attributes. They, and only they, get style-src
'unsafe-inline', through django-csp's per-response update; their scripts stay 'self' only (DRF's
are files). Every other page of the site has no inline style at all."""

from csp.constants import UNSAFE_INLINE
from rest_framework.renderers import BrowsableAPIRenderer


class InlineStyledBrowsableAPIRenderer(BrowsableAPIRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            # Read by csp.middleware.CSPMiddleware (process_response), after the rendering.
            response._csp_update = {"style-src": [UNSAFE_INLINE]}
        return super().render(data, accepted_media_type, renderer_context)
