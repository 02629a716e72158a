"""docker-compose.yml and docker-compose.scale.yml (docs/scale.md): valid for Debian's
docker-compose 1.29, and every secret comes from the environment. `make test` installs
docker-compose, so its absence is a failure, not a skip."""

import shutil
import subprocess
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_DIR / "docker-compose.yml"
SCALE_FILE = REPO_DIR / "docker-compose.scale.yml"

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

    def run(*arguments: str, file: Path = COMPOSE_FILE, **environment: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [docker_compose, "--env-file", str(empty_env_file), "-f", str(file), "config", *arguments],
            env={"PATH": "/usr/local/bin:/usr/bin:/bin", **environment},
            cwd=file.parent if file == SCALE_FILE else tmp_path,
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


# docker-compose.scale.yml --------------------------------------------------------------------

SCALE_ENVIRONMENT = {
    **{name: value for name, value in REQUIRED_ENVIRONMENT.items() if name != "XUEJI_BACKUP_KEY"},
    "XUEJI_REPLICATION_PASSWORD": "replicationpassword3c81d0",
    "MINIO_ROOT_USER": "minioadmin4f2e",
    "MINIO_ROOT_PASSWORD": "miniorootpassword9a0c7e51b2",
    "XUEJI_S3_ACCESS_KEY": "xuejiaccess6d3b",
    "XUEJI_S3_SECRET_KEY": "xuejis3secret0e9d8c7b6a5f4",
    "XUEJI_TLS_DIR": "/etc/xueji-tls",
}
SCALE_SECRETS = ("DJANGO_SECRET_KEY", "POSTGRES_PASSWORD", "XUEJI_OWNER_DB_PASSWORD", "XUEJI_APP_DB_PASSWORD",
                 "XUEJI_ENCRYPTION_KEYS", "XUEJI_BLIND_INDEX_KEY", "XUEJI_REPLICATION_PASSWORD", "MINIO_ROOT_PASSWORD",
                 "XUEJI_S3_SECRET_KEY")
APP_SERVICES = ("web1", "web2", "web3", "worker-imports", "worker-documents", "worker-sweeps", "worker-default", "beat")
QUEUES = {"imports", "documents", "sweeps", "celery"}


@pytest.fixture
def scale(compose):
    import yaml

    result = compose(file=SCALE_FILE, **SCALE_ENVIRONMENT)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


def test_scale_file_is_valid_and_runs_the_whole_topology(compose):
    result = compose("--services", file=SCALE_FILE, **SCALE_ENVIRONMENT)

    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {
        "db-primary", "db-replica", "pgbouncer", "redis", "minio", "minio-init", "migrate", "nginx", *APP_SERVICES,
    }


@pytest.mark.parametrize("missing", sorted(SCALE_ENVIRONMENT))
def test_scale_file_refuses_to_start_without_each_required_variable(compose, missing):
    environment = {name: value for name, value in SCALE_ENVIRONMENT.items() if name != missing}

    result = compose("-q", file=SCALE_FILE, **environment)

    assert result.returncode != 0
    assert f"set {missing}" in result.stderr


def test_scale_file_holds_no_secret_value():
    text = SCALE_FILE.read_text()
    for line in text.splitlines():
        stripped = line.split("#", 1)[0].strip()
        for name in SCALE_SECRETS + ("MINIO_ROOT_USER", "XUEJI_S3_ACCESS_KEY"):
            if stripped.startswith(f"{name}:"):
                assert stripped.split(":", 1)[1].strip().startswith("${"), line
        # Passwords in URLs are references too.
        if "postgres://" in stripped:
            assert ":${" in stripped, line


def test_scale_app_services_use_pgbouncer_the_replica_and_minio_as_the_app_role(scale):
    password = SCALE_ENVIRONMENT["XUEJI_APP_DB_PASSWORD"]
    for name in (*APP_SERVICES, "migrate"):
        environment = scale[name]["environment"]
        assert environment["DATABASE_URL"] == f"postgres://xueji_app:{password}@pgbouncer:6432/xueji", name
        assert environment["DATABASE_REPLICA_URL"] == f"postgres://xueji_app:{password}@pgbouncer:6432/xueji_replica"
        assert environment["XUEJI_PGBOUNCER"] == "1"
        assert environment["XUEJI_STORAGE"] == "s3" and environment["XUEJI_S3_ENDPOINT_URL"] == "http://minio:9000"
        assert environment["XUEJI_S3_SECRET_KEY"] == SCALE_ENVIRONMENT["XUEJI_S3_SECRET_KEY"]
        for secret in ("POSTGRES_PASSWORD", "XUEJI_REPLICATION_PASSWORD", "MINIO_ROOT_PASSWORD"):
            assert SCALE_ENVIRONMENT[secret] not in str(environment), (name, secret)
        if name != "migrate":
            assert "DATABASE_OWNER_URL" not in environment
            assert scale[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
            assert "volumes" not in scale[name], "web processes and workers keep nothing on a local disk"
    # Migrations go to the primary directly, as the owner, never through PgBouncer.
    owner_url = scale["migrate"]["environment"]["DATABASE_OWNER_URL"]
    assert owner_url == f"postgres://xueji_owner:{SCALE_ENVIRONMENT['XUEJI_OWNER_DB_PASSWORD']}@db-primary:5432/xueji"
    assert "manage.py migrate" in " ".join(scale["migrate"]["command"])


def test_scale_commands_web_behind_nginx_one_worker_per_queue_one_beat(scale):
    for name in ("web1", "web2", "web3"):
        assert scale[name]["command"][:2] == ["gunicorn", "xueji.wsgi"]
        assert "--config" in scale[name]["command"] and "manage.py migrate" not in " ".join(scale[name]["command"])
    queues = []
    for name, service in scale.items():
        command = service.get("command") or []
        if command[:4] == ["celery", "-A", "xueji", "worker"]:
            queues.append(command[command.index("--queues") + 1])
    assert sorted(queues) == sorted(QUEUES), "one worker for each queue, each on its own"
    beats = [name for name, service in scale.items() if (service.get("command") or [])[3:4] == ["beat"]]
    assert beats == ["beat"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in scale["beat"]["command"]

    nginx_conf = (REPO_DIR / "docker" / "nginx" / "scale.conf").read_text()
    for name in ("web1", "web2", "web3"):
        assert f"server {name}:8000" in nginx_conf
    assert "proxy_set_header X-Forwarded-Proto https;" in nginx_conf
    assert any(volume.endswith(":/etc/nginx/conf.d/default.conf:ro") for volume in scale["nginx"]["volumes"])


def test_scale_replica_streams_from_the_primary(scale):
    assert scale["db-primary"]["image"] == scale["db-replica"]["image"] == "postgres:16"
    primary_command = " ".join(scale["db-primary"]["command"])
    assert "wal_level=replica" in primary_command and "max_wal_senders=10" in primary_command
    init = (REPO_DIR / "docker" / "postgres-scale" / "20-replication.sh").read_text()
    assert "REPLICATION LOGIN" in init and "pg_create_physical_replication_slot('replica1')" in init
    assert "host replication replicator all scram-sha-256" in init
    entrypoint = (REPO_DIR / "docker" / "postgres-scale" / "replica-entrypoint.sh").read_text()
    assert "pg_basebackup" in entrypoint and "-R -X stream -S replica1" in entrypoint
    assert "hot_standby=on" in entrypoint
    # Every file a service mounts is in the repository.
    for service in scale.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("/") and "docker" in source:
                assert Path(source).exists(), volume


def test_scale_pgbouncer_pools_transactions_for_the_app_role_only():
    entrypoint = (REPO_DIR / "docker" / "pgbouncer" / "entrypoint.sh").read_text()
    assert "pool_mode = transaction" in entrypoint
    assert "xueji = host=db-primary" in entrypoint and "xueji_replica = host=db-replica" in entrypoint
    assert '"xueji_app"' in entrypoint and "xueji_owner" not in entrypoint.split("[databases]")[1]
