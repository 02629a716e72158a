"""No query strings in the logs (issue 12). The pupil list's search box (``q``), the API's
``search`` and other addresses carry names and ID numbers in their query strings; an access log
line or a Django log message would keep them for as long as the logs are kept.

``redact_query`` keeps the parameters' names and hides every value ("q=张三&page=2" → "q=*&page=*"),
``redact_urls`` does so to every "?…" of a text (a request line, a referer, a redirect).
``RedactQueryStrings`` is the logging filter of settings.LOGGING (``django.server``,
``django.request`` and the console handler); gunicorn's access and error logs use the same
functions (gunicorn.conf.py).
"""

import logging
import re

REDACTED = "*"
# A parameter's name is kept when it looks like one; anything else is a value.
_NAME = re.compile(r"[A-Za-z0-9_.\-\[\]]{1,40}\Z")
# A query string inside a text: from "?" to the next space or quote.
_QUERY = re.compile(r"\?([^\s\"'<>]*)")


def redact_query(query: str) -> str:
    """'q=110101200001011234&page=2' → 'q=*&page=*'; a part without a plain name → '*'."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        name, equals, _value = part.partition("=")
        if not part:
            parts.append(part)
        elif equals and _NAME.match(name):
            parts.append(f"{name}={REDACTED}")
        else:
            parts.append(REDACTED)
    return "&".join(parts)


def redact_urls(text: str) -> str:
    """Every query string in a text hidden: 'GET /pupils/?q=张三 HTTP/1.1' → 'GET /pupils/?q=* HTTP/1.1'."""
    if "?" not in text:
        return text
    return _QUERY.sub(lambda match: "?" + redact_query(match.group(1)), text)


class RedactQueryStrings(logging.Filter):
    """A log record whose message holds a query string is rewritten with its values hidden."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):  # a broken record is the logging module's to report
            return True
        redacted = redact_urls(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
