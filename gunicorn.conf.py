"""gunicorn's settings for 学籍, the same for `make run` (scripts/run.py), the Dockerfile and
docker-compose.yml, which add only where to listen:

    gunicorn xueji.wsgi --config gunicorn.conf.py --bind 127.0.0.1:8000

Workers and threads come from the machine's cores (xueji/serving.py: one worker per core, at
least two, four threads each, gunicorn's gthread worker), or from XUEJI_WEB_WORKERS and
XUEJI_WEB_THREADS (1 thread: the sync worker); benchmarks/README.md ("Serving setup") has the
measurements. Each thread holds at most one database connection, from its process's pool.

The access log goes to stdout, with every query string's values hidden (issue 12): the pupil
list's search box and the API's search carry names and ID numbers (xueji/web/redaction.py). The
same holds for the referer and a redirect's Location, which repeat such addresses, and for
gunicorn's error log ("Error handling request /pupils/?q=…").
"""

import os
import sys

from gunicorn.glogging import Logger

# The config file is read before the application: make the project importable from here.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from xueji.serving import web_concurrency
from xueji.web.redaction import RedactQueryStrings, redact_query, redact_urls

_CONCURRENCY = web_concurrency()
workers = _CONCURRENCY.workers
threads = _CONCURRENCY.threads
worker_class = _CONCURRENCY.worker_class

_REDACT = RedactQueryStrings()
# Atoms that hold a bare query string, without its "?".
_BARE_QUERIES = ("q", "{query_string}e")


class RedactingLogger(Logger):
    """gunicorn's logger with the query strings' values hidden in every atom of the access log
    and in every message of the error log."""

    def setup(self, cfg):
        super().setup(cfg)
        self.error_log.addFilter(_REDACT)  # the same instance on every reload: added once

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            if isinstance(value, str):
                atoms[name] = redact_query(value) if name in _BARE_QUERIES else redact_urls(value)
        return atoms


logger_class = RedactingLogger
accesslog = "-"
# Apache's combined format, plus the time taken in milliseconds; "%(r)s" (the request line) and
# "%(f)s" (the referer) come through RedactingLogger.atoms.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
timeout = 120  # PDF batches take a while
graceful_timeout = 10
# gunicorn's control socket would go to ~/.gunicorn/gunicorn.ctl, shared by every gunicorn of the
# user; nothing here uses it.
control_socket_disable = True
