"""Union Hall settings: every knob comes from the environment (see README and .env.example)."""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from exc


def env_decimal(name: str, default: str) -> Decimal:
    value = os.environ.get(name, "").strip() or default
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise ImproperlyConfigured(f"{name} must be an amount like 10000.00: {value!r}.") from exc
    if not amount.is_finite() or amount <= 0:
        raise ImproperlyConfigured(f"{name} must be a positive amount, not {value!r}.")
    return amount


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "string (for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-local-development-only-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "unionhall.apps.OfficeAdminConfig",  # django.contrib.admin, as the office's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "appkit",
    "jobs",
    "audit",
    "accounts",
    "members",
    "dues",
    "payments",
    "checkoff",
    "compliance",
    "referral",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "unionhall.middleware.no_store_by_default",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "unionhall.middleware.refuse_nul_characters",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "unionhall.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "payments.context_processors.online_payment",
            ],
        },
    },
]

# Django's form and widget templates, drawn by their Jinja2 edition (appkit/renderers.py).
FORM_RENDERER = "appkit.renderers.FormRenderer"

WSGI_APPLICATION = "unionhall.wsgi.application"

# Unset → a SQLite file beside manage.py, so a fresh checkout just works.
# postgres://user:pass@host:5432/name → PostgreSQL through psycopg 3.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # A connection per request costs more than the request itself: reuse them (checked
        # before each request, so a restarted database is reconnected to).
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0 if DEBUG else 600),
        conn_health_checks=True,
    )
}
SQLITE_OPTIONS = {"transaction_mode": "IMMEDIATE", "timeout": 20}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The quickstart's SQLite lets one writer in at a time. A transaction that reads first
    # and writes later (every request, every webhook) fails with "database is locked" when
    # another wrote meanwhile; one that takes the write lock at BEGIN waits its turn instead
    # (up to `timeout` seconds).
    DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
    # The tests' SQLite database is a file (in memory-backed /dev/shm where there is one),
    # not Django's shared-cache in-memory database: there a live server's request and the
    # flush between tests refuse each other at once ("database table is locked"); on a file
    # they take turns, waiting up to `timeout` as the quickstart does. One file per test
    # process, named test_… (the append-only triggers let Django's flush through only there).
    _test_dir = Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else Path(tempfile.gettempdir())
    DATABASES["default"]["TEST"] = {
        "NAME": str(_test_dir / f"test_unionhall_{os.getpid()}.sqlite3")
    }
# Behind pgbouncer in transaction pooling mode, cursors may not outlive a transaction.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
    "DATABASE_DISABLE_SERVER_SIDE_CURSORS", False
)

# The PostgreSQL role the app runs as, owning no table (audit/runtime_role.py). Set where
# `migrate` runs as the owner: each migrate then grants it what the new tables need.
DATABASE_RUNTIME_ROLE = env_str("DATABASE_RUNTIME_ROLE")

# A request's changes, their history rows and their audit events commit together or not at all.
DATABASES["default"]["ATOMIC_REQUESTS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The list indexes INCLUDE the columns a page reads, for PostgreSQL to answer from the index
# alone; SQLite (the quickstart) has no such thing and keeps the index without them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]


def cache_from_url(url: str) -> dict:
    """The shared cache (login throttles and lockouts count in it when it is Redis, else in
    the database: accounts/counting.py): every worker on every machine must see
    the same one. Unset: a table in the app's own database (made by `migrate`);
    redis://host:6379/0 (or rediss://): Redis."""
    if not url:
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "unionhall_cache",
        }
    if url.startswith(("redis://", "rediss://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    raise ImproperlyConfigured(f"CACHE_URL must be a redis:// or rediss:// URL, not {url!r}.")


CACHES = {"default": cache_from_url(env_str("CACHE_URL"))}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "America/Chicago")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Files: uploads waiting to be imported, exports waiting to be downloaded. Never served
# publicly: each goes through the job's page, to who may see it. With several machines,
# MEDIA_ROOT must be storage they share.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")

# Background work (DEP 14 tasks, django-tasks backport): queued in the app's own database and
# run by `manage.py jobs_worker` (as many as wanted, on as many machines). "immediate" runs
# each task inside the request that queues it (tests, or a trial without a worker).
TASKS_BACKEND = env_str("TASKS_BACKEND", "database")
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[TASKS_BACKEND]
    }
}

# Email: printed to the console unless an SMTP server is configured.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Union Hall <dues@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The local's name, as its notices to members sign it, and its postal address as receipts
# and statements print it (lines separated by ";": "1234 Main Street;Chicago, IL 60601").
LOCAL_NAME = env_str("LOCAL_NAME", "Union Hall Local")
LOCAL_ADDRESS = [line.strip() for line in env_str("LOCAL_ADDRESS").split(";") if line.strip()]

# HTTPS hardening: on whenever DEBUG is off, so `manage.py check --deploy` is clean.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Django's own console handler (under DEBUG) printed each of its lines a second time
    # beside the root's: its records go to the root's handler alone.
    "loggers": {"django": {"level": env_str("LOG_LEVEL", "INFO"), "propagate": True}},
}

# History is part of the audit trail: reading it needs the history model's own permission
# (not just the model's), and it is never "reverted" by rewriting it.
SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS = True
SIMPLE_HISTORY_REVERT_DISABLED = True

# The largest file of each kind of upload (kept as the job's file, read by a worker):
# member CSV, remittance file (CSV or XLSX; also what `import_remittance` reads),
# employers' or check-off authorizations' CSV.
MEMBER_IMPORT_MAX_BYTES = env_int("MEMBER_IMPORT_MAX_BYTES", 50_000_000)
REMITTANCE_MAX_BYTES = env_int("REMITTANCE_MAX_BYTES", 20_000_000)
CHECKOFF_IMPORT_MAX_BYTES = env_int("CHECKOFF_IMPORT_MAX_BYTES", 20_000_000)

# The most one remittance line (a member's month from an employer) may carry and still be
# posted to the member by itself; a line over it (or over 3 times the dues expected of it)
# is held in suspense for an officer (checkoff/matching.py, over_ceiling).
REMITTANCE_LINE_MAX = env_decimal("REMITTANCE_LINE_MAX", "2000.00")

# How many proxies in front of the app append to X-Forwarded-For (0: use the socket's
# address). The audit trail records the client address this yields.
NUM_PROXIES = env_int("NUM_PROXIES", 0)

# The most one payment or adjustment keyed in by hand may be (a typo's ceiling).
MANUAL_PAYMENT_MAX = env_decimal("MANUAL_PAYMENT_MAX", "10000.00")

# Dues: a member this many months behind, or more, is delinquent (docs/design.md §4).
ARREARS_DELINQUENT_MONTHS = env_int("ARREARS_DELINQUENT_MONTHS", 3)

# Hiring hall: days of notice registrants must have before a referral rule set takes effect
# (a rule applied to someone not told of it is a violation: docs/domain.md §6).
REFERRAL_NOTICE_DAYS = env_int("REFERRAL_NOTICE_DAYS", 30)

# Stripe (payments/stripe_client.py). No key: the pay button says online payment is not
# set up. Keys come from the environment only: test keys (sk_test_...) in development.
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
# One or several signing secrets (whsec_...), comma-separated, so a secret can be rotated.
STRIPE_WEBHOOK_SECRETS = env_list("STRIPE_WEBHOOK_SECRET")
STRIPE_API_VERSION = env_str("STRIPE_API_VERSION", "2026-10-28.endive")
# Unset: Stripe itself. Set: a stand-in such as stripe-mock (http://localhost:12111).
STRIPE_API_BASE = env_str("STRIPE_API_BASE")
STRIPE_CURRENCY = env_str("STRIPE_CURRENCY", "usd")
# How long one request to Stripe may take, and how often it is tried again: together well
# under the app server's own timeout, so a member sees "try again", never a dropped page.
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 8)
STRIPE_NETWORK_RETRIES = env_int("STRIPE_NETWORK_RETRIES", 1)
STRIPE_PAYMENT_METHOD_TYPES = env_list("STRIPE_PAYMENT_METHOD_TYPES", "card,us_bank_account")
# More addresses told of card disputes and of autopay giving up, or held for review (active
# Officers and Admins with an email always are).
DUES_ALERT_EMAILS = env_list("DUES_ALERT_EMAILS")
# Requests per second the autopay run makes to Stripe at most (Stripe's live-mode limit is
# 100 a second for the whole account; the rest is left to members paying at the time).
STRIPE_REQUESTS_PER_SECOND = env_int("STRIPE_REQUESTS_PER_SECOND", 25)
# Days after a failed autopay collection's first attempt when it is tried again; after
# the last, the office is told.
AUTOPAY_RETRY_DAYS = [int(day) for day in env_list("AUTOPAY_RETRY_DAYS", "3,5,7")]
# The address of the site, for links in mail (no request is at hand when a worker sends it).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# REST API (docs/design.md §7). Every endpoint needs a login (JWT or session) unless it says so.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apikit.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["apikit.filters.NoFilters"],
    "DEFAULT_SCHEMA_CLASS": "apikit.schema.AutoSchema",
    "EXCEPTION_HANDLER": "apikit.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": env_str("API_LOGIN_RATE", "10/minute")},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=env_int("JWT_REFRESH_HOURS", 24)),
    "UPDATE_LAST_LOGIN": True,
    # Tokens carry a digest of the password hash: changing the password revokes every
    # token issued before (accounts/apis.py checks refresh tokens the same way).
    "CHECK_REVOKE_TOKEN": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Union Hall API",
    "DESCRIPTION": "Members, dues, payments, notes and the audit trail of a union local.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # A registration's status is in two components (list, detail), a dispatch's method and
    # its end's reason in what is read and what is sent: named here, not hashed.
    "ENUM_NAME_OVERRIDES": {
        "RegistrationStatusEnum": "referral.models.RegistrationStatus",
        "DispatchMethodEnum": "referral.models.DispatchMethod",
        "TerminationReasonEnum": "referral.models.TerminationReason",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apikit.schema.add_error_responses",
    ],
}

# Failed logins (login page, admin, API token): this many for one username, or five times
# as many from one address, within the window, and further attempts are refused.
LOGIN_LOCKOUT_FAILURES = env_int("LOGIN_LOCKOUT_FAILURES", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
