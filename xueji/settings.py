"""Settings of 学籍, read from the environment in this one place.

XUEJI_ENV chooses the mode:
- ``production`` (the default): DEBUG off, a secret key is required, HTTPS-only cookies.
- ``development``: what ``make run`` sets; DEBUG on, a local secret key.
- ``test``: what the test suite sets (pytest-env in pyproject.toml).

Other variables: DJANGO_SECRET_KEY, DJANGO_DEBUG, DATABASE_URL, DATABASE_OWNER_URL, REDIS_URL, ALLOWED_HOSTS,
XUEJI_DATA_DIR (uploads and other private files, outside the web root), CSRF_TRUSTED_ORIGINS.
XUEJI_ENCRYPTION_KEYS, XUEJI_BLIND_INDEX_KEY: the keys of encryption at rest (xueji/crypto.py).
XUEJI_AUDIT_SHIP: where a copy of every audit entry goes (file:/path or syslog:host:port or syslog:/dev/log).
XUEJI_THROTTLE_LOGIN, _SEARCH, _DETAIL, _DOWNLOAD, _EXPORT, _DEFAULT: the API's rates ("120/min").
XUEJI_PUBLIC_URL: the site's address as guardians reach it, printed in the 申请表's QR code.
XUEJI_WEB_WORKERS, XUEJI_WEB_THREADS: gunicorn's workers and threads (default: one worker per core,
at least two, four threads each); XUEJI_DB_POOL (on/off), XUEJI_DB_POOL_MIN, _MAX, _TIMEOUT: the
connection pool of each process (xueji/serving.py).
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from xueji import serving

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


XUEJI_ENV = os.environ.get("XUEJI_ENV", "production").strip().lower()
if XUEJI_ENV not in {"production", "development", "test"}:
    raise ImproperlyConfigured(f"XUEJI_ENV must be production, development or test, not {XUEJI_ENV!r}")
PRODUCTION = XUEJI_ENV == "production"

DEBUG = env_bool("DJANGO_DEBUG", XUEJI_ENV == "development")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
    # Development and tests only: never used where XUEJI_ENV=production.
    SECRET_KEY = "insecure-" + XUEJI_ENV + "-key-not-for-production-use-0123456789abcdef"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "xueji.accounts.admin_site.XuejiAdminConfig",  # django.contrib.admin with the three admins' site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",  # API tokens: hashed, expiring, revocable (xueji/accounts/tokens.py)
    "django_otp",
    "django_otp.plugins.otp_totp",  # the second factor (xueji/accounts/two_factor.py)
    "django_otp.plugins.otp_static",  # recovery codes
    "django_filters",  # FilterSets (xueji/pupils/filters.py); its templates draw the browsable API's filter form
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "pgtrigger",
    "pghistory",
    "xueji",
    "enrollment",
    "transfers",
    "suspensions",
    "dropouts",
    "archives",
    "cancellation",
    "changes",
    "schoolyear",
    "special_education",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Half-logged-in sessions (second factor, forced password change, enrolment) reach only those
    # pages; sessions past their absolute lifetime end (xueji/accounts/gate.py).
    "xueji.accounts.gate.AccountGateMiddleware",
    # The three admins (and the superuser) reach the admin area only: no pupil's page
    # (xueji/accounts/admin_area.py; the API's side is NotForAdmins below).
    "xueji.accounts.admin_area.AdminAreaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "xueji.accounts.middleware.AuditContextMiddleware",
    # Our 404 page in development too (xueji/web/not_found.py); outside NotAllowedMiddleware.
    "xueji.web.not_found.NotFoundPageMiddleware",
    "xueji.accounts.permissions.NotAllowedMiddleware",
    # Which reads may go to the replica, and read-your-writes (xueji/db_routing.py); nothing
    # without DATABASE_REPLICA_URL.
    "xueji.db_routing.ReplicaReadsMiddleware",
]

ROOT_URLCONF = "xueji.urls"
# The packages of the core (the app "xueji"): each holds its models, services, pages and templates.
CORE_PACKAGES = ("accounts", "calendar", "files", "pupils", "approvals", "documents", "exports", "photos", "web")
WSGI_APPLICATION = "xueji.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The core's packages keep their templates beside their code (xueji/approvals/templates/…);
        # they are packages of the one app "xueji", so Django's app loader would not look there.
        "DIRS": [BASE_DIR / "templates", *(BASE_DIR / "xueji" / package / "templates" for package in CORE_PACKAGES)],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "xueji.web.navigation.navigation",
            ],
        },
    },
]

# One PostgreSQL everywhere: production, the demo (embedded PostgreSQL) and the tests. Never SQLite.
#
# Connections come from Django's own pool (psycopg_pool), one pool per process, sized by
# xueji/serving.py from the web's threads (XUEJI_DB_POOL, XUEJI_DB_POOL_MIN/_MAX/_TIMEOUT). With a
# pool, CONN_MAX_AGE must be 0: a request takes a connection and gives it back at its end. A
# connection goes back without a reset, so nothing may leave session-level state on it: the app
# sets only transaction-local state (pghistory's context is set_config(..., true), the advisory
# locks are pg_advisory_xact_lock, SET TRANSACTION ...), which tests/xueji/test_serving.py checks
# in the code.
# PgBouncer instead (or in front): when the processes of several hosts together would need more
# connections than PostgreSQL should hold (a few hundred), i.e. in production at a province's
# scale. In its transaction mode, keep this pool off or small (XUEJI_DB_POOL=off with
# DATABASE_CONN_MAX_AGE=0) and note its caveats: no session-level SET, LISTEN, session advisory
# locks or WITH HOLD cursors (none used here), and server-side prepared statements only with
# PgBouncer 1.21+ (psycopg prepares none by default here: Django sets prepare_threshold None).
DATABASE_POOL = serving.database_pool(os.environ)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/xueji"),
        conn_max_age=0 if DATABASE_POOL else int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        # A connection kept between requests (conn_max_age), or taken from the pool, is checked
        # before a request uses it: after PostgreSQL restarts, the next request opens a new one
        # instead of failing (500).
        conn_health_checks=True,
    )
}
if DATABASE_POOL:
    DATABASES["default"]["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), "pool": DATABASE_POOL}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("学籍 runs on PostgreSQL only: DATABASE_URL must be a postgres:// URL.")
# Two database roles (docs/security.md): DATABASE_URL is the application's role (web, workers,
# beat), which may only INSERT and SELECT the audit log and owns no table; DATABASE_OWNER_URL is the
# owner of every table, which runs migrations and `manage.py db_grant_app_role`. Unset: one role
# for everything, as before (a deployment then runs the app as the tables' owner: not advised).
DATABASE_OWNER = (
    dj_database_url.parse(os.environ["DATABASE_OWNER_URL"]) if os.environ.get("DATABASE_OWNER_URL") else None
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A streaming replica (docs/scale.md): DATABASE_REPLICA_URL, the same role and database on the
# standby. Reads that tolerate a few seconds of lag go there (xueji/db_routing.py decides which);
# a user who wrote in the last XUEJI_READ_YOUR_WRITES_SECONDS stays on the primary. A replica that
# does not answer within XUEJI_REPLICA_CONNECT_TIMEOUT seconds, or whose replay is more than
# XUEJI_REPLICA_MAX_LAG_SECONDS behind, is left alone for XUEJI_REPLICA_RETRY_SECONDS.
# Unset: no replica alias, and the router always answers "default".
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "").strip()
READ_YOUR_WRITES_SECONDS = int(os.environ.get("XUEJI_READ_YOUR_WRITES_SECONDS", "10"))
REPLICA_CONNECT_TIMEOUT = int(os.environ.get("XUEJI_REPLICA_CONNECT_TIMEOUT", "2"))
REPLICA_RETRY_SECONDS = int(os.environ.get("XUEJI_REPLICA_RETRY_SECONDS", "30"))
# A standby whose replay is further behind than this is not "a few seconds" behind: the primary.
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("XUEJI_REPLICA_MAX_LAG_SECONDS", "30"))
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = REPLICA_CONNECT_TIMEOUT
    # Tests of a deployment with a replica read the test database through the default alias.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["xueji.db_routing.ReplicaRouter"]
# Through PgBouncer's transaction pooling (docker-compose.scale.yml, docs/scale.md): no
# server-side cursors, whose life is a session's while PgBouncer lends a connection for a
# transaction only.
if env_bool("XUEJI_PGBOUNCER", False):
    for _database in DATABASES.values():
        _database["DISABLE_SERVER_SIDE_CURSORS"] = True

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

AUTH_USER_MODEL = "xueji.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "xueji.accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "xueji.accounts.passwords.PasswordHistoryValidator", "OPTIONS": {"count": 5}},
]

if XUEJI_ENV == "test":
    # Hashing with PBKDF2 takes ~0.3 s a password: too slow for hundreds of test logins.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Accounts (issue 12; xueji/accounts/). Lockout: 5 failures lock the username for 15 minutes, and
# 20 failures from one client address within 15 minutes lock the address for every username.
LOGIN_FAILURE_LIMIT = int(os.environ.get("XUEJI_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_LOCKOUT_MINUTES = int(os.environ.get("XUEJI_LOGIN_LOCKOUT_MINUTES", "15"))
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("XUEJI_LOGIN_ADDRESS_FAILURE_LIMIT", "20"))
# The client address is read from X-Forwarded-For only when the request comes from one of these
# proxies (the deployment's reverse proxy); otherwise it is REMOTE_ADDR.
TRUSTED_PROXIES = env_list("XUEJI_TRUSTED_PROXIES", "")
# The guardian's view (issue 14; xueji/approvals/tracking.py): the QR code on a printed 申请表
# holds XUEJI_PUBLIC_URL + /track/<code>/, the address guardians reach the site by. A wrong answer
# counts per request and per client address; TRACK_FAILURE_LIMIT of them on one request (or
# TRACK_ADDRESS_FAILURE_LIMIT from one address) within TRACK_LOCKOUT_MINUTES stop the answers for
# that long. A right answer opens that request's page to the session for TRACK_SESSION_MINUTES.
# In production without it: HTTPS on the first of ALLOWED_HOSTS (the site's own name).
_public_host = next((host.lstrip(".") for host in ALLOWED_HOSTS if host not in ("*", "")), "")
PUBLIC_URL = (os.environ.get("XUEJI_PUBLIC_URL")
              or (f"https://{_public_host}" if PRODUCTION and _public_host else "http://127.0.0.1:8000")).rstrip("/")
TRACK_FAILURE_LIMIT = int(os.environ.get("XUEJI_TRACK_FAILURE_LIMIT", "5"))
TRACK_ADDRESS_FAILURE_LIMIT = int(os.environ.get("XUEJI_TRACK_ADDRESS_FAILURE_LIMIT", "20"))
TRACK_LOCKOUT_MINUTES = int(os.environ.get("XUEJI_TRACK_LOCKOUT_MINUTES", "15"))
TRACK_SESSION_MINUTES = int(os.environ.get("XUEJI_TRACK_SESSION_MINUTES", "30"))
# Data leaving the system (issue 13; xueji/exports/): an export of personal data is a request that
# the bureau's leader in charge decides within EXPORT_APPROVAL_WORKING_DAYS; its file may be
# downloaded by the requester for EXPORT_DOWNLOAD_HOURS after it is made.
EXPORT_APPROVAL_WORKING_DAYS = int(os.environ.get("XUEJI_EXPORT_APPROVAL_WORKING_DAYS", "1"))
EXPORT_DOWNLOAD_HOURS = float(os.environ.get("XUEJI_EXPORT_DOWNLOAD_HOURS", "24"))
# API tokens expire after a working day (8 hours) and are revoked with the password, the account,
# a lockout, sealing and a 2FA reset.
API_TOKEN_HOURS = float(os.environ.get("XUEJI_API_TOKEN_HOURS", "8"))
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_TTL": None,  # each token's expiry is set when it is made (xueji/accounts/tokens.py)
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": None,
}
# Accounts unused this long are sealed by the nightly task (2025 办法 第二十四条: six months).
ACCOUNT_SEAL_AFTER_DAYS = int(os.environ.get("XUEJI_ACCOUNT_SEAL_AFTER_DAYS", "180"))
# Sessions end after this long, however busy (the idle timeout is SESSION_COOKIE_AGE below).
SESSION_ABSOLUTE_HOURS = float(os.environ.get("XUEJI_SESSION_ABSOLUTE_HOURS", "12"))
# The second factor: TOTP codes (RFC 6238) named after the system in the authenticator app. The
# lockout above counts wrong codes: django-otp's own per-device back-off is not used besides it.
OTP_TOTP_ISSUER = "学籍管理系统"
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0

# Sessions live in the database: logout deletes the row, so the session ends on the server.
# SESSION_SAVE_EVERY_REQUEST renews the 30 minutes at each request: an idle timeout.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = int(float(os.environ.get("XUEJI_SESSION_IDLE_MINUTES", "30")) * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("XUEJI_STATIC_ROOT", BASE_DIR / ".data" / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Private files are SM4-GCM ciphertext on disk (xueji/files/encrypted.py).
    "default": {"BACKEND": "xueji.files.encrypted.EncryptedFileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Several hosts share the private files through an S3-compatible store (MinIO: docs/scale.md):
# XUEJI_STORAGE=s3 with XUEJI_S3_ENDPOINT_URL, XUEJI_S3_BUCKET, XUEJI_S3_ACCESS_KEY and
# XUEJI_S3_SECRET_KEY. The files are encrypted by us before upload, as in the local folder.
XUEJI_STORAGE = os.environ.get("XUEJI_STORAGE", "local").strip().lower()
if XUEJI_STORAGE == "s3":
    _s3 = {name: os.environ.get(f"XUEJI_S3_{name.upper()}", "").strip()
           for name in ("endpoint_url", "bucket", "access_key", "secret_key")}
    _missing_s3 = [f"XUEJI_S3_{name.upper()}" for name, value in _s3.items() if not value]
    if _missing_s3:
        raise ImproperlyConfigured(f"XUEJI_STORAGE=s3 needs {', '.join(_missing_s3)}.")
    STORAGES["default"] = {
        "BACKEND": "xueji.files.encrypted_s3.EncryptedS3Storage",
        "OPTIONS": {
            "endpoint_url": _s3["endpoint_url"],
            "bucket_name": _s3["bucket"],
            "access_key": _s3["access_key"],
            "secret_key": _s3["secret_key"],
            "region_name": os.environ.get("XUEJI_S3_REGION", "us-east-1"),
            "location": os.environ.get("XUEJI_S3_PREFIX", "private"),
            # A new file never replaces another of the same name; nothing is public; MinIO wants
            # path-style addresses and SigV4.
            "file_overwrite": False,
            "default_acl": "private",
            "querystring_auth": True,
            "addressing_style": "path",
            "signature_version": "s3v4",
        },
    }
elif XUEJI_STORAGE != "local":
    raise ImproperlyConfigured("XUEJI_STORAGE is local (the default) or s3.")

# Private files (photos, proof): outside the web root, never under STATIC_ROOT, and served only
# through views that check who may see them. MEDIA_URL is deliberately not routed.
DATA_DIR = Path(os.environ.get("XUEJI_DATA_DIR", BASE_DIR / ".data"))
MEDIA_ROOT = DATA_DIR / "private"
MEDIA_URL = "/private-not-served/"

# Encryption at rest (xueji/crypto.py): SM4 keys "id:base64,id:base64" (the first encrypts, the
# others still decrypt until `manage.py encryption_rotate` has moved everything to the first) and
# the HMAC-SM3 key of the blind indexes. Production refuses to start without them, like the
# secret key; elsewhere a key file is made in the data folder on first use.
ENCRYPTION_KEYS = os.environ.get("XUEJI_ENCRYPTION_KEYS", "")
BLIND_INDEX_KEY = os.environ.get("XUEJI_BLIND_INDEX_KEY", "")
if not (ENCRYPTION_KEYS and BLIND_INDEX_KEY):
    if PRODUCTION:
        raise ImproperlyConfigured("XUEJI_ENCRYPTION_KEYS and XUEJI_BLIND_INDEX_KEY must be set in production.")
    from xueji.crypto import development_keys

    _development_keys = development_keys(DATA_DIR)
    ENCRYPTION_KEYS = ENCRYPTION_KEYS or _development_keys[0]
    BLIND_INDEX_KEY = BLIND_INDEX_KEY or _development_keys[1]

# Security headers; HTTPS-only cookies and HSTS in production.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "xueji.web.views.csrf_failure"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "xueji.accounts.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "xueji.accounts.admin_area.NotForAdmins",  # the three admins' tokens reach no data
    ],
    "DEFAULT_PAGINATION_CLASS": "xueji.paginators.CappedPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "xueji.web.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "学籍 API",
    "DESCRIPTION": "学籍管理系统接口：所有数据都按调用者的权限范围过滤。",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status" field; name each choice set so the schema stays stable.
    "ENUM_NAME_OVERRIDES": {
        "PupilStatusEnum": "xueji.codes.PupilStatus",
        "RequestStatusEnum": "xueji.approvals.models.RequestStatus",
        "StepStatusEnum": "xueji.approvals.models.StepStatus",
        "GradeEnum": "xueji.codes.GRADE_CHOICES",
        "IntakeGradeEnum": "enrollment.intake.api.INTAKE_GRADES",
        "NationalProblemKindEnum": "enrollment.national.readiness.ProblemKind",
        "PromotionRunStatusEnum": "schoolyear.models.PromotionRun.Status",
    },
    # The guardian's /track/{code}/ is a plain page that also answers JSON: added by hand.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "xueji.approvals.tracking_schema.track_paths"],
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queuing must not hold a web request for long when the broker is away: the deadline sweep
# redoes what a lost task left undone (the database is the truth).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# Time limits: a task that hangs (a stuck query, a huge file) ends instead of holding a worker for
# ever. The soft limit raises SoftTimeLimitExceeded inside the task, which fails its job with a
# message; the hard one kills the process a minute later (its job is then swept, see below). These
# are the defaults of short tasks; the long jobs set their own (enrollment, documents,
# schoolyear, reports tasks.py), the longest 60 minutes.
CELERY_TASK_SOFT_TIME_LIMIT = 5 * 60
CELERY_TASK_TIME_LIMIT = 6 * 60
# With acks_late, Redis gives a task that was taken but not acknowledged to another worker after
# the visibility timeout. It must be longer than the longest job (60 minutes) or a job still
# running would be delivered again and run twice at once: 3 hours. A task lost with its worker
# comes back sooner through the sweeper of lost jobs (JOB_HEARTBEAT_TIMEOUT).
# "priority": a worker reading several queues takes from them in the order it names them
# (CELERY_QUEUES below), not in turn.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3 * 60 * 60, "queue_order_strategy": "priority"}
# Long jobs (xueji/jobs.py) write a heartbeat as they progress. One whose heartbeat is older than
# this many seconds lost its worker (killed, machine restarted) and is queued again by the sweeper:
# longer than the longest step of a job between two heartbeats (writing a school's PDF, the
# COPY of an import's 5,000 rows), short enough that a user waits minutes, not hours.
JOB_HEARTBEAT_TIMEOUT = int(os.environ.get("XUEJI_JOB_HEARTBEAT_TIMEOUT", "180"))
# A job that lost its worker this many times is failed with a message instead of queued again: a
# job that kills its worker (memory) must not kill every worker in turn.
JOB_MAX_RESTARTS = 3
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic tasks; django-celery-beat copies them into its tables, where the admin can see them.
CELERY_BEAT_SCHEDULE = {
    # Long jobs whose worker was lost go back to the queue (xueji/jobs.py), every minute.
    "sweep-lost-jobs": {"task": "xueji.jobs.sweep", "schedule": 60.0},
    "prune-login-throttles": {"task": "xueji.accounts.tasks.prune_login_throttles", "schedule": 3600.0},
    # Accounts unused for 180 days are sealed, nightly at 03:00; expired API tokens are deleted.
    "seal-idle-accounts": {"task": "xueji.accounts.tasks.seal_idle_accounts", "schedule": crontab(minute=0, hour=3)},
    # Approval deadlines: reminders, overdue steps, escalations, lost follow-ups.
    "approval-deadline-sweep": {"task": "xueji.approvals.tasks.deadline_sweep", "schedule": 600.0},
    # Return cases of dropouts end when the pupil turns 16 (hourly: cheap, and idempotent).
    "dropout-cases-aged-out": {"task": "dropouts.tasks.close_aged_out_cases", "schedule": 3600.0},
    # The 适龄未入学 and 疑似辍学 ledgers: daily at 01:30, after the day's absences (idempotent).
    "dropout-ledgers-sync": {"task": "dropouts.tasks.sync_ledgers", "schedule": crontab(minute=30, hour=1)},
    # Suspensions ending: the school is reminded 30 days before and on the day (idempotent).
    "suspension-reminders": {"task": "suspensions.tasks.suspension_reminders", "schedule": 3600.0},
    # 学籍变动月报: on the 1st at 02:00 (Asia/Shanghai) for the month before (idempotent).
    "monthly-reports": {"task": "reports.tasks.generate_monthly_reports",
                        "schedule": crontab(minute=0, hour=2, day_of_month=1)},
    # Promotion (升级): daily at 01:30; acts on each bureau's promotion date (10 August), and
    # resumes an unfinished run on the days after, until the end of August (idempotent).
    "promotion-daily": {"task": "schoolyear.tasks.promotion_daily", "schedule": crontab(minute=30, hour=1)},
    # Uploaded enrolment files: their bytes deleted ENROLMENT_FILE_RETENTION_DAYS after the import.
    "enrolment-files-expire": {"task": "enrollment.tasks.expire_import_files", "schedule": crontab(minute=30, hour=3)},
    # 预警: unusual reads and exports of the day before, from the audit log (after midnight).
    "early-warnings": {"task": "xueji.accounts.tasks.compute_early_warnings", "schedule": crontab(minute=20, hour=0)},
    # An approved export whose file was never made (its task lost) is queued again.
    "export-files-resend": {"task": "xueji.exports.tasks.resend_export_files", "schedule": 300.0},
    # The statistics' counts kept per school and grade: their delta rows folded (every 10 minutes:
    # a read sums every row of its keys, so fewer rows read faster; the sums never change).
    "roll-counts-compact": {"task": "reports.tasks.compact_roll_counts", "schedule": 600.0},
    # Export files past their download time (EXPORT_DOWNLOAD_HOURS) are deleted, hourly.
    "export-files-expire": {"task": "xueji.exports.tasks.expire_export_files", "schedule": crontab(minute=15)},
    # Proof files kept with a refused form never sent again (xueji/files/pending.py): a day, hourly.
    "pending-uploads-sweep": {"task": "xueji.files.tasks.sweep_pending_uploads", "schedule": crontab(minute=45)},
    # The audit log's hash chain is walked nightly at 04:00; a break warns the audit admins.
    "audit-chain-verify": {"task": "xueji.accounts.tasks.verify_audit_chain", "schedule": crontab(minute=0, hour=4)},
}

# Queues: a long import or a batch of PDFs must not hold the short work behind it, and on several
# hosts each queue gets workers of its own (docker-compose.scale.yml: one worker per queue).
# Every worker of `make run`, docker-compose.yml and the tests reads all four (CELERY_QUEUES),
# so nothing waits on a queue nobody reads, and in this order: the short ones first, whose users
# wait on the page (an upload's import, under a second), then the sweeps and the rest, the
# documents last (a class's cards take seconds of a core each). In turn, as Celery takes them by
# default, a county's September morning (benchmarks/peak_day.py) left uploads' imports two
# minutes behind the class prints queued before them: an import of 0.6 s waited for prints of
# 4.4 s. The routes: exact names first, then the patterns in this order (celery's MapRoute): the
# beat-driven sweeps by name, then the kinds of work by module.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_QUEUES = ("imports", "sweeps", "celery", "documents")
# Declared: a worker started without -Q (the tests' start_worker) reads all four too.
CELERY_TASK_QUEUES = tuple(Queue(name, routing_key=name) for name in CELERY_QUEUES)
CELERY_TASK_ROUTES = {
    **{entry["task"]: {"queue": "sweeps"} for entry in CELERY_BEAT_SCHEDULE.values()},
    # Enrolment files and other uploads read row by row (photos' zips when they become tasks).
    "enrollment.tasks.run_import": {"queue": "imports"},
    "*.tasks.*import*": {"queue": "imports"},
    "xueji.photos.tasks.*": {"queue": "imports"},
    # Printing: cards, rosters and other documents' jobs; export files; report spreadsheets.
    "xueji.documents.tasks.*": {"queue": "documents"},
    "xueji.exports.tasks.*": {"queue": "documents"},
    "reports.tasks.*": {"queue": "documents"},
    "*.tasks.*print*": {"queue": "documents"},
    "*.tasks.*export*": {"queue": "documents"},
    # The rest (approvals' follow-ups, the promotion's run) on the default queue "celery".
}

# Uploaded enrolment files (their bytes, in the database, encrypted) are deleted this many days
# after their import finished; the hash, the counts and the errors stay.
ENROLMENT_FILE_RETENTION_DAYS = int(os.environ.get("XUEJI_ENROLMENT_FILE_RETENTION_DAYS", "30"))

# 预警 (early warning, 2025 学籍管理办法 第二十四条): a user reading more than this many records in a
# day, downloading more than this many exports in a week (Monday to Sunday), or reading records
# between these hours (local time; the night wraps past midnight) is shown to the audit and
# security admins of the bureaus above.
EARLY_WARNING_READS_PER_DAY = int(os.environ.get("XUEJI_EARLY_WARNING_READS_PER_DAY", "500"))
EARLY_WARNING_EXPORTS_PER_WEEK = int(os.environ.get("XUEJI_EARLY_WARNING_EXPORTS_PER_WEEK", "10"))
EARLY_WARNING_NIGHT_START = int(os.environ.get("XUEJI_EARLY_WARNING_NIGHT_START", "22"))
EARLY_WARNING_NIGHT_END = int(os.environ.get("XUEJI_EARLY_WARNING_NIGHT_END", "6"))

# The cache is Redis, shared by every web process: the API's throttle counts there. Celery's queue
# shares the database, so never cache.clear() (FLUSHDB): delete the keys under the prefix.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "xueji",
        # Redis away: fail within a second (the throttle then lets the request through).
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


def env_rate(name: str, default: str) -> str:
    """A rate "N/s|sec|second|m|min|minute|h|hour|d|day" from the environment (xueji/web/throttles.py)."""
    value = os.environ.get(name, "").strip() or default
    number, _, period = value.partition("/")
    if not (number.isascii() and number.isdigit() and int(number) > 0
            and period in {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}):
        raise ImproperlyConfigured(f"{name} must be a rate such as 120/min, not {value!r}.")
    return value


# API throttling (xueji/web/throttles.py): requests per user (per client address for the token
# endpoint) in each scope; a 429 with Retry-After beyond. A registrar's real work stays well below
# these; a scraper reading 200 records in 6 s does not.
API_THROTTLE_RATES = {
    "login": env_rate("XUEJI_THROTTLE_LOGIN", "30/min"),  # POST /api/v1/auth/token/, per client address
    "search": env_rate("XUEJI_THROTTLE_SEARCH", "60/min"),  # lists with search or filter parameters
    "detail": env_rate("XUEJI_THROTTLE_DETAIL", "120/min"),  # one record (retrieve)
    "download": env_rate("XUEJI_THROTTLE_DOWNLOAD", "30/min"),  # PDFs and files
    "export": env_rate("XUEJI_THROTTLE_EXPORT", "10/min"),  # spreadsheet exports
    "default": env_rate("XUEJI_THROTTLE_DEFAULT", "300/min"),  # everything else (writes, plain lists, progress)
}
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["xueji.web.throttles.ScopedThrottle"]

# The audit log (xueji/accounts/audit_chain.py, audit_ship.py). Entries are kept at least this many
# years (PIPL processing records, 等保 2.0 level 3 asks for six months): nothing in the application
# deletes them (a trigger refuses, and the application's role may not), and there is no purge command.
AUDIT_RETENTION_YEARS = 3
# A copy of every entry, as one JSON line after its transaction commits, off the database host:
# "" (off), "file:/path/to/audit.jsonl", "syslog:host:port" (UDP) or "syslog:/dev/log".
AUDIT_SHIP = os.environ.get("XUEJI_AUDIT_SHIP", "").strip()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO" if not DEBUG else "INFO")},
    # WeasyPrint logs every layout step of every page at INFO.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}


# ---- Issue 12: HTTP hardening (Content-Security-Policy, Permissions-Policy, no-store, request
# size caps, no query strings in the logs). One block; it adds to MIDDLEWARE and LOGGING above.
from csp import constants as csp_constants

# Every response: Permissions-Policy and Cache-Control: no-store except static files
# (xueji/web/headers.py); first, so that it sees every answer, the 413 and the static files too.
# Then the body caps (xueji/web/request_size.py), before the session is read.
MIDDLEWARE.insert(0, "xueji.web.headers.ResponseHeadersMiddleware")
MIDDLEWARE.insert(1, "xueji.web.request_size.RequestSizeMiddleware")
# The Content-Security-Policy header, on every response after the security middleware.
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
# Whoever is not signed in gets the small cap on every page (CSRF checking reads a form first).
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "xueji.web.request_size.AnonymousRequestSizeMiddleware")

# No inline script or style anywhere: the pages' behaviour is static/js/app.js (data- attributes),
# htmx is told not to add a <style> of its own (templates/base.html). Swagger UI's page allows
# its inline <style> on /api/docs/ only (xueji/urls.py, with django-csp's csp_update), DRF's
# browsable API its inline styles on its HTML pages only (below).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF],
        "style-src": [csp_constants.SELF],
        "img-src": [csp_constants.SELF, "data:"],  # the pages' empty favicon (data:,), Swagger UI's icons
        "font-src": [csp_constants.SELF],
        "connect-src": [csp_constants.SELF],  # htmx and the import's progress
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.NONE],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    },
}

# DRF's browsable API draws itself with inline styles: its HTML pages alone allow them.
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
    "rest_framework.renderers.JSONRenderer",
    "xueji.web.browsable_api.InlineStyledBrowsableAPIRenderer",
]

# Browser features no page uses, switched off for the site and anything it embeds.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "bluetooth", "camera", "display-capture", "geolocation", "gyroscope", "hid",
        "magnetometer", "microphone", "midi", "payment", "publickey-credentials-get", "screen-wake-lock", "serial",
        "usb", "xr-spatial-tracking",
    )
}  # fmt: skip

# Request bodies, in bytes: over the cap of its address a request is answered 413 before anything
# of its body is read (xueji/web/request_size.py). The caps cover the uploads' own limits
# (tests/xueji/web/test_request_size.py checks that they still do):
# - everywhere: two fields of 10 proof PDFs of 5 MB (xueji/files/proof.py: a cancellation, an
#   information change), spreadsheets of 20 MB (xueji/files/spreadsheets.py), a photo of 10 MB;
# - a school's zip of photos: 200 MB (xueji/photos/zip.py);
# - the unauthenticated login page and token endpoint: a user name and a password.
REQUEST_BODY_LIMIT = 110 * 1024 * 1024  # 100 MB of proof and a margin
REQUEST_BODY_LIMITS = {  # by URL name
    "photos:school_photo_import": 210 * 1024 * 1024,
    "photos_api:api-school-photo-import": 210 * 1024 * 1024,
    "accounts:login": 8 * 1024,
    "accounts_api:api-token": 8 * 1024,
}
# Whoever is not signed in, on any page (an API call with a token is DRF's to check first).
REQUEST_BODY_LIMIT_ANONYMOUS = 8 * 1024
# The upload parser counts what it reads against the same cap, whatever Content-Length said.
FILE_UPLOAD_HANDLERS = [
    "xueji.web.request_size.BodyLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# No query strings' values in Django's logs: searches carry names and ID numbers
# (xueji/web/redaction.py; gunicorn's access log: gunicorn.conf.py).
LOGGING.setdefault("filters", {})["redact_query_strings"] = {"()": "xueji.web.redaction.RedactQueryStrings"}
LOGGING["handlers"]["console"].setdefault("filters", []).append("redact_query_strings")
# django.server (runserver, the tests' live server) as Django configures it, plus the filter.
LOGGING.setdefault("formatters", {})["django.server"] = {
    "()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"}
LOGGING["handlers"]["django.server"] = {"class": "logging.StreamHandler", "formatter": "django.server",
                                        "filters": ["redact_query_strings"]}
LOGGING["loggers"]["django.server"] = {"handlers": ["django.server"], "level": "INFO", "propagate": False,
                                       "filters": ["redact_query_strings"]}
LOGGING["loggers"].setdefault("django.request", {}).setdefault("filters", []).append("redact_query_strings")
# ---- end of issue 12
