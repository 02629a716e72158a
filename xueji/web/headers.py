"""Headers on every response (issue 12), from the first middleware, so that every answer has them:
pages, the API, files, error pages, the 413 of xueji.web.request_size and the static files.

- ``Permissions-Policy`` (settings.PERMISSIONS_POLICY): the browser features no page uses
  (camera, microphone, geolocation, …) are switched off for the site and anything it embeds.
- ``Cache-Control: no-store`` on everything dynamic: pages, API answers and files carry pupils'
  data, which neither the browser's disk cache nor a proxy may keep. A response that already says
  no-store keeps its own header (``private, no-store``); anything else (``private, max-age=600``
  of a photo) is replaced. Only the static files (served by WhiteNoise: CSS, JS, icons) keep their
  caching.
"""

from django.conf import settings
from whitenoise.middleware import WhiteNoiseFileResponse


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """{"camera": [], "fullscreen": ["self"]} → 'camera=(), fullscreen=(self)'."""
    return ", ".join(f"{feature}=({' '.join(allowed)})" for feature, allowed in policy.items())


class ResponseHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.permissions_policy = permissions_policy_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        response["Permissions-Policy"] = self.permissions_policy
        if not isinstance(response, WhiteNoiseFileResponse) and "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        return response
