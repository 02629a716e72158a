"""docker-compose.yml: valid for Debian's docker-compose 1.29, and every secret comes from the
environment. `make test` installs docker-compose, so its absence is a failure, not a skip."""

import shutil
import subprocess
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_DIR / "docker-compose.yml"

# Values that appear nowhere in the repository: if they show up in the resolved configuration,
# they came from the environment.
REQUIRED_ENVIRONMENT = {
    "DJANGO_SECRET_KEY": "env-secret-key-9f3c1d7e2b6a4e8f0c5d1a3b7e9f2c4d6a8b0e1f3c5d7a9b",
    "POSTGRES_PASSWORD": "envpassword7e41c2",
    "XUEJI_OWNER_DB_PASSWORD": "ownerpassword5d09a3",
    "XUEJI_APP_DB_PASSWORD": "apppassword8b26f1",
    "ALLOWED_HOSTS": "xueji.example.org",
    "XUEJI_BACKUP_KEY": "envbackupkey5d0a9e3c",
    "XUEJI_ENCRYPTION_KEYS": "k1:c29tZS10ZXN0LWtleS0xNg",
    "XUEJI_BLIND_INDEX_KEY": "YmxpbmQta2V5LWZvci10ZXN0cy0zMi1ieXRlcy1sb25nIQ",
}


@pytest.fixture
def compose(tmp_path):
    """Runs docker-compose on the file with exactly the given variables (and PATH), ignoring any
    .env file a developer may keep next to it."""
    docker_compose = shutil.which("docker-compose")
    assert docker_compose, "docker-compose is missing: `make test` installs it (apt-get install docker-compose)"
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")

    def run(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [docker_compose, "--env-file", str(empty_env_file), "-f", str(COMPOSE_FILE), "config", *arguments],
            env={"PATH": "/usr/local/bin:/usr/bin:/bin", **environment},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


def test_the_file_is_valid_when_the_required_variables_are_set(compose):
    result = compose("-q", **REQUIRED_ENVIRONMENT)

    assert result.returncode == 0, result.stderr


def test_it_runs_the_database_the_broker_the_web_a_worker_beat_and_the_backups(compose):
    result = compose("--services", **REQUIRED_ENVIRONMENT)

    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {"db", "redis", "migrate", "web", "worker", "beat", "backup"}


def test_the_backup_service_keeps_14_nightly_backups_in_a_volume_of_their_own(compose):
    result = compose(**REQUIRED_ENVIRONMENT)

    assert result.returncode == 0, result.stderr
    assert "scripts/backup_nightly.py" in result.stdout
    assert "BACKUP_DIR: /backups" in result.stdout
    assert "backups:/backups" in result.stdout
    assert f"XUEJI_BACKUP_KEY: {REQUIRED_ENVIRONMENT['XUEJI_BACKUP_KEY']}" in result.stdout
    # The backup service has the database and the private files as the web has them.
    assert result.stdout.count("XUEJI_DATA_DIR: /data") == 5


def test_versions_and_commands(compose):
    result = compose(**REQUIRED_ENVIRONMENT)

    assert result.returncode == 0, result.stderr
    assert "image: postgres:16" in result.stdout
    assert "image: redis:7" in result.stdout
    assert "- gunicorn\n    - xueji.wsgi" in result.stdout
    assert "django_celery_beat.schedulers:DatabaseScheduler" in result.stdout
    assert "XUEJI_ENV: production" in result.stdout


def test_secrets_come_from_the_environment(compose):
    result = compose(**REQUIRED_ENVIRONMENT)

    assert result.returncode == 0, result.stderr
    assert f"DJANGO_SECRET_KEY: {REQUIRED_ENVIRONMENT['DJANGO_SECRET_KEY']}" in result.stdout
    assert f"POSTGRES_PASSWORD: {REQUIRED_ENVIRONMENT['POSTGRES_PASSWORD']}" in result.stdout
    assert f"postgres://xueji_app:{REQUIRED_ENVIRONMENT['XUEJI_APP_DB_PASSWORD']}@db:5432/xueji" in result.stdout
    assert f"postgres://xueji_owner:{REQUIRED_ENVIRONMENT['XUEJI_OWNER_DB_PASSWORD']}@db:5432/xueji" in result.stdout


def test_the_app_runs_as_its_own_role_and_migrations_as_the_owner(compose):
    """web, worker and beat connect as xueji_app and know no other password; only the migrate
    step has the owner's URL; the superuser's password is the database container's alone."""
    import yaml

    result = compose(**REQUIRED_ENVIRONMENT)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://xueji_app:")
        assert "DATABASE_OWNER_URL" not in environment
        assert REQUIRED_ENVIRONMENT["POSTGRES_PASSWORD"] not in str(environment)
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    migrate = services["migrate"]
    assert "manage.py migrate" in " ".join(migrate["command"]) and "db_grant_app_role" in " ".join(migrate["command"])
    assert REQUIRED_ENVIRONMENT["POSTGRES_PASSWORD"] not in str(migrate["environment"])
    assert "manage.py migrate" not in " ".join(services["web"]["command"])


@pytest.mark.parametrize("missing", sorted(REQUIRED_ENVIRONMENT))
def test_it_refuses_to_start_without_each_required_variable(compose, missing):
    environment = {name: value for name, value in REQUIRED_ENVIRONMENT.items() if name != missing}

    result = compose("-q", **environment)

    assert result.returncode != 0
    assert f"set {missing}" in result.stderr


def test_the_file_holds_no_secret_value():
    text = COMPOSE_FILE.read_text()

    # Secret settings are only ever ${VARIABLE:?...} references, never literal values.
    for line in text.splitlines():
        stripped = line.split("#", 1)[0].strip()
        for name in ("DJANGO_SECRET_KEY:", "POSTGRES_PASSWORD:", "XUEJI_OWNER_DB_PASSWORD:", "XUEJI_APP_DB_PASSWORD:", "XUEJI_BACKUP_KEY:",
                     "XUEJI_ENCRYPTION_KEYS:", "XUEJI_BLIND_INDEX_KEY:"):
            if stripped.startswith(name):
                assert stripped.split(":", 1)[1].strip().startswith("${"), line
