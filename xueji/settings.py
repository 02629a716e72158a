"""Settings of 学籍, read from the environment in this one place.

XUEJI_ENV chooses the mode:
- ``production`` (the default): DEBUG off, a secret key is required, HTTPS-only cookies.
- ``development``: what ``make run`` sets; DEBUG on, a local secret key.
- ``test``: what the test suite sets (pytest-env in pyproject.toml).

Other variables: DJANGO_SECRET_KEY, DJANGO_DEBUG, DATABASE_URL, REDIS_URL, ALLOWED_HOSTS,
XUEJI_DATA_DIR (uploads and other private files, outside the web root), CSRF_TRUSTED_ORIGINS.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

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
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
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
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "xueji.accounts.middleware.AuditContextMiddleware",
    "xueji.accounts.permissions.NotAllowedMiddleware",
]

ROOT_URLCONF = "xueji.urls"
# The packages of the core (the app "xueji"): each holds its models, services, pages and templates.
CORE_PACKAGES = ("accounts", "calendar", "files", "pupils", "approvals", "documents", "photos", "web")
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
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/xueji"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("学籍 runs on PostgreSQL only: DATABASE_URL must be a postgres:// URL.")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

AUTH_USER_MODEL = "xueji.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "xueji.accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]

if XUEJI_ENV == "test":
    # Hashing with PBKDF2 takes ~0.3 s a password: too slow for hundreds of test logins.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Lockout: 5 failures lock the username for 15 minutes (xueji/accounts/login.py).
LOGIN_FAILURE_LIMIT = 5
LOGIN_LOCKOUT_MINUTES = 15

# Sessions live in the database: logout deletes the row, so the session ends on the server.
# SESSION_SAVE_EVERY_REQUEST renews the 30 minutes at each request: an idle timeout.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 30 * 60
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
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# Private files (photos, proof): outside the web root, never under STATIC_ROOT, and served only
# through views that check who may see them. MEDIA_URL is deliberately not routed.
DATA_DIR = Path(os.environ.get("XUEJI_DATA_DIR", BASE_DIR / ".data"))
MEDIA_ROOT = DATA_DIR / "private"
MEDIA_URL = "/private-not-served/"

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
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
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
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic tasks; django-celery-beat copies them into its tables, where the admin can see them.
CELERY_BEAT_SCHEDULE = {
    "prune-login-throttles": {"task": "xueji.accounts.tasks.prune_login_throttles", "schedule": 3600.0},
    # Approval deadlines: reminders, overdue steps, escalations, lost follow-ups.
    "approval-deadline-sweep": {"task": "xueji.approvals.tasks.deadline_sweep", "schedule": 600.0},
    # Return cases of dropouts end when the pupil turns 16 (hourly: cheap, and idempotent).
    "dropout-cases-aged-out": {"task": "dropouts.tasks.close_aged_out_cases", "schedule": 3600.0},
    # Suspensions ending: the school is reminded 30 days before and on the day (idempotent).
    "suspension-reminders": {"task": "suspensions.tasks.suspension_reminders", "schedule": 3600.0},
    # 学籍变动月报: on the 1st at 02:00 (Asia/Shanghai) for the month before (idempotent).
    "monthly-reports": {"task": "reports.tasks.generate_monthly_reports",
                        "schedule": crontab(minute=0, hour=2, day_of_month=1)},
    # Promotion (升级): daily at 01:30; acts on each bureau's promotion date (10 August), and
    # resumes an unfinished run on the days after, until the end of August (idempotent).
    "promotion-daily": {"task": "schoolyear.tasks.promotion_daily", "schedule": crontab(minute=30, hour=1)},
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO" if not DEBUG else "INFO")},
    # WeasyPrint logs every layout step of every page at INFO.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

