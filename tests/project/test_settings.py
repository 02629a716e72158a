"""The rules of xueji/settings.py that keep a production server safe, checked in a fresh Python
each time: settings are read once per process, from the environment."""

import os
import subprocess
import sys
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[2]
MODE_VARIABLES = {"XUEJI_ENV", "DJANGO_SECRET_KEY", "DJANGO_DEBUG", "XUEJI_ENCRYPTION_KEYS", "XUEJI_BLIND_INDEX_KEY"}
SECRET_KEY = "k" * 20 + "-not-a-real-secret-" + "y" * 20
# Keys of encryption at rest, made for these tests (base64 of 16 and 32 bytes).
ENCRYPTION_KEYS = {"XUEJI_ENCRYPTION_KEYS": "t1:" + "A" * 22, "XUEJI_BLIND_INDEX_KEY": "B" * 43}

# Prints DEBUG after a full django.setup(), the way every server process starts.
PRINT_DEBUG = "import django; django.setup(); from django.conf import settings; print('DEBUG', settings.DEBUG)"


def run_django(**environment: str) -> subprocess.CompletedProcess:
    """python -c PRINT_DEBUG where, of the variables that choose the mode, only the given ones are set."""
    env = {name: value for name, value in os.environ.items() if name not in MODE_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="xueji.settings",
        DATABASE_URL="postgres://xueji@127.0.0.1:5432/xueji",  # parsed only, never connected to
        **environment,
    )
    return subprocess.run(
        [sys.executable, "-c", PRINT_DEBUG], env=env, cwd=REPO_DIR, capture_output=True, text=True, timeout=60
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_django(XUEJI_ENV="production")

    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY must be set in production." in result.stderr


def test_production_is_the_default_mode_so_no_key_no_start_either():
    result = run_django()

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_the_keys_of_encryption_at_rest():
    result = run_django(XUEJI_ENV="production", DJANGO_SECRET_KEY=SECRET_KEY)

    assert result.returncode != 0
    assert "XUEJI_ENCRYPTION_KEYS and XUEJI_BLIND_INDEX_KEY must be set in production." in result.stderr


def test_debug_is_off_by_default_outside_development():
    result = run_django(DJANGO_SECRET_KEY=SECRET_KEY, **ENCRYPTION_KEYS)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["DEBUG", "False"]


def test_debug_is_off_in_the_test_mode_too():
    result = run_django(XUEJI_ENV="test")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["DEBUG", "False"]


def test_debug_is_on_in_development():
    # The counterpart of the tests above: the subprocess does report DEBUG when it is on.
    result = run_django(XUEJI_ENV="development")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["DEBUG", "True"]


def test_deployment_checks_pass_with_production_settings():
    # The same check .ci/run makes after the suite: warnings (the API schema's too) fail it.
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE is for this suite only; a server never has it.
    dropped = MODE_VARIABLES | {"DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {name: value for name, value in os.environ.items() if name not in dropped}
    env.update(
        DJANGO_SETTINGS_MODULE="xueji.settings",
        XUEJI_ENV="production",
        DJANGO_SECRET_KEY=SECRET_KEY,
        **ENCRYPTION_KEYS,
        ALLOWED_HOSTS="xueji.example.org",
        DATABASE_URL="postgres://xueji@db.example.org:5432/xueji",  # parsed only
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, cwd=REPO_DIR, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_qr_codes_address_is_the_sites_own_in_production():
    """The 申请表's QR code leads guardians to XUEJI_PUBLIC_URL, else in production to HTTPS on the
    site's own name (never to 127.0.0.1, which a phone cannot reach)."""
    show = "from django.conf import settings; print(settings.PUBLIC_URL)"
    env = {name: value for name, value in os.environ.items() if name not in MODE_VARIABLES | {"XUEJI_PUBLIC_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="xueji.settings", DATABASE_URL="postgres://xueji@127.0.0.1:5432/xueji",
               XUEJI_ENV="production", DJANGO_SECRET_KEY=SECRET_KEY, ALLOWED_HOSTS="xueji.example.org,.example.org",
               **ENCRYPTION_KEYS)

    def public_url(**extra) -> str:
        result = subprocess.run([sys.executable, "-c", show], env={**env, **extra}, cwd=REPO_DIR,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert public_url() == "https://xueji.example.org"
    assert public_url(XUEJI_PUBLIC_URL="https://xj.county.gov.cn/") == "https://xj.county.gov.cn"
