"""Issue 12: searches for a pupil by ID number and by name leave neither in the logs. A real
gunicorn, started as `make run` starts it, serves the test database; a teacher signs in on the
login page and searches the pupil list (q) and the API (search); the log as `make run` shows it
(the access log and Django's own logs) is then read."""

import http.cookiejar
import importlib.util
import json
import logging
import re
import urllib.error
import urllib.request
from urllib.parse import quote, urlencode

import pytest

from tests.conftest import build_world
from tests.factories import PASSWORD
from tests.xueji.web.live_gunicorn import (
    REPO_DIR,
    gunicorn,  # noqa: F401  (the fixture)
    make_run_web_command,
)
from xueji.web.redaction import RedactQueryStrings, redact_query, redact_urls


class Browser:
    """Cookies kept, redirects followed; any status comes back (no exception for 4xx)."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, path: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, str]:
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self, username: str) -> None:
        status, page = self.open("/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urlencode({"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD, "next": "/"})
        status, page = self.open("/login/", form.encode(), {"Referer": self.base + "/login/"})
        assert status == 200 and "退出" in page, page[:2000]


def forms_of(text: str) -> list[str]:
    """The text as it may appear in a log: as is, and percent-encoded (upper and lower case)."""
    encoded = quote(text, safe="")
    return [text, encoded, encoded.lower(), quote(text, safe="").replace("%20", "+")]


@pytest.mark.django_db(transaction=True)  # the server must see the world
def test_searches_leave_no_id_number_or_name_in_the_log(gunicorn):  # noqa: F811
    world = build_world()
    pupil = world.pupils["a1"]
    id_number, name = pupil.id_number, pupil.name
    assert id_number and name

    browser = Browser(gunicorn.port)
    browser.sign_in("teacher_a1")  # a head teacher: no second factor to pass
    # The pupil list's search box, as the page sends it (and htmx, which asks for the results only).
    status, page = browser.open("/pupils/?" + urlencode({"q": name}))
    assert status == 200 and name in page
    status, page = browser.open("/pupils/?" + urlencode({"q": id_number}),
                                headers={"HX-Request": "true", "HX-Target": "pupil-results"})
    assert status == 200
    # The pupil's page, reached from the list: its referer repeats the search.
    status, _ = browser.open(f"/pupils/{pupil.pk}/", headers={"Referer": f"{browser.base}/pupils/?q={quote(name)}"})
    assert status == 200

    # The API, with a token: its search parameter, and a refused filter beside it (a 400 is logged).
    api = Browser(gunicorn.port)
    status, answer = api.open("/api/v1/auth/token/", json.dumps({"username": "teacher_a1", "password": PASSWORD}).encode(),
                              {"Content-Type": "application/json"})
    assert status == 200, answer
    token = {"Authorization": f"Token {json.loads(answer)['token']}"}
    status, answer = api.open("/api/v1/pupils/?" + urlencode({"search": name}), headers=token)
    assert status == 200 and json.loads(answer)["results"][0]["name"] == name
    assert api.open("/api/v1/pupils/?" + urlencode({"search": id_number}), headers=token)[0] == 200
    assert api.open("/api/v1/pupils/?" + urlencode({"search": id_number, "grade": "99"}), headers=token)[0] == 400
    # Not signed in: sent to the login page, whose address carries the search (next=…); and a 404.
    assert Browser(gunicorn.port).open("/pupils/?" + urlencode({"q": id_number}))[0] == 200
    assert Browser(gunicorn.port).open("/no-such-page/?" + urlencode({"q": name}))[0] == 404

    log = gunicorn.wait_for_output('"GET /no-such-page/?q=* HTTP/1.1" 404')
    # The requests were logged, with their parameters' names and without their values.
    for line in ('"GET /pupils/?q=* HTTP/1.1" 200', '"GET /api/v1/pupils/?search=* HTTP/1.1" 200',
                 '"GET /api/v1/pupils/?search=*&grade=* HTTP/1.1" 400', '"GET /login/?next=* HTTP/1.1" 200',
                 f'"GET /pupils/{pupil.pk}/ HTTP/1.1" 200 '):
        assert line in log, f"{line!r} not in the log:\n{log[-3000:]}"
    assert f'"{browser.base}/pupils/?q=*"' in log  # the referer
    for secret in (*forms_of(id_number), *forms_of(name)):
        assert secret not in log, f"{secret!r} is in the log:\n{log[-3000:]}"


def test_the_redaction_keeps_names_and_hides_values():
    assert redact_query("q=110101200001011234&school=3&page=2") == "q=*&school=*&page=*"
    assert redact_query("110101200001011234") == "*"
    assert redact_query("a=1&&b=") == "a=*&&b=*"
    assert redact_query("%E5%BC%A0=1") == "*"  # a name that is not a plain word is a value too
    assert redact_urls('"GET /pupils/?q=张小明 HTTP/1.1" 200 "https://x/pupils/?q=1" "Mozilla"') == (
        '"GET /pupils/?q=* HTTP/1.1" 200 "https://x/pupils/?q=*" "Mozilla"')
    assert redact_urls("没有问号") == "没有问号"


def test_djangos_loggers_redact_query_strings():
    """django.server and django.request carry the filter (settings.LOGGING), and so does the
    console handler every other logger writes through."""
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, '"%s" %s %s',
                               ("GET /pupils/?q=110101200001011234 HTTP/1.1", "200", "5"), None)
    assert RedactQueryStrings().filter(record)
    assert record.getMessage() == '"GET /pupils/?q=* HTTP/1.1" 200 5'
    for name in ("django.server", "django.request"):
        assert any(isinstance(f, RedactQueryStrings) for f in logging.getLogger(name).filters), name
    console = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]  # not pytest's
    assert console and all(any(isinstance(f, RedactQueryStrings) for f in h.filters) for h in console)


def load_gunicorn_conf():
    spec = importlib.util.spec_from_file_location("xueji_gunicorn_conf", REPO_DIR / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_run_the_image_and_compose_use_the_gunicorn_config():
    command = make_run_web_command(8000)
    assert command[command.index("--config") + 1] == str(REPO_DIR / "gunicorn.conf.py")
    assert '"gunicorn", "xueji.wsgi", "--config", "gunicorn.conf.py"' in (REPO_DIR / "Dockerfile").read_text()
    assert '"gunicorn", "xueji.wsgi", "--config", "gunicorn.conf.py"' in (REPO_DIR / "docker-compose.yml").read_text()
    conf = load_gunicorn_conf()
    assert conf.accesslog == "-" and '"%(r)s"' in conf.access_log_format and '"%(f)s"' in conf.access_log_format


def test_gunicorns_error_log_hides_query_strings_too(tmp_path):
    from gunicorn.config import Config

    config = Config()
    config.set("errorlog", str(tmp_path / "error.log"))
    logger = load_gunicorn_conf().RedactingLogger(config)
    logger.error("Error handling request %s", "/pupils/?q=110101200001011234")
    text = (tmp_path / "error.log").read_text()
    assert "Error handling request /pupils/?q=*" in text and "110101200001011234" not in text
