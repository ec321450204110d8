"""The one settings module. Everything that differs between machines comes from
``HUIFANG_*`` environment variables; the defaults give a working embedded install
(SQLite under ./var, no broker, console e-mail) with nothing set."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from huifang.core.ldap_settings import ldap_settings, with_directory_backend

BASE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DATA_DIR = Path(env_str("HUIFANG_DATA_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = env_bool("HUIFANG_DEBUG", False)
# Without a configured key we derive a stable one per data directory, so an embedded
# install keeps its sessions across restarts; production sets HUIFANG_SECRET_KEY.
SECRET_KEY = env_str("HUIFANG_SECRET_KEY") or "insecure-embedded-" + str(DATA_DIR)
ALLOWED_HOSTS = env_list("HUIFANG_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("HUIFANG_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "csp",
    "simple_history",
    "huifang.core",
    "huifang.customers",
    "huifang.policy",
    "huifang.projects",
    "huifang.visits",
    "huifang.actions",
    "huifang.surveys",
    "huifang.notify",
    "huifang.insights",
    "huifang.api",
    "huifang.transfer",
    "huifang.workspace",
    "huifang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Audit history: records the signed-in user as the author of each change.
    "simple_history.middleware.HistoryRequestMiddleware",
    "huifang.core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Content-Security-Policy on every response (see the security block below).
    "csp.middleware.CSPMiddleware",
    # Wrong API bearer tokens count like wrong passwords (huifang.core.security).
    "huifang.core.security.BearerTokenThrottleMiddleware",
    # Last, as django-axes asks: turns a lockout during authentication into its page.
    "axes.middleware.AxesMiddleware",
    # A view's write that found the database locked: 503 + Retry-After (core/busy.py).
    # Last, so that its process_exception is the first to see a view's exception.
    "huifang.core.busy.DatabaseBusyMiddleware",
]

# --- Monitoring -----------------------------------------------------------------------
# /metrics (Prometheus) is off (404) unless a bearer token or allowed addresses
# (comma-separated IPs or networks, e.g. 10.0.0.0/8) are set; docs/operations.md,
# "Monitoring". Only then are request counts and latencies measured.
HUIFANG_METRICS_TOKEN = env_str("HUIFANG_METRICS_TOKEN")
HUIFANG_METRICS_ALLOWED_IPS = env_list("HUIFANG_METRICS_ALLOWED_IPS")
if HUIFANG_METRICS_TOKEN or HUIFANG_METRICS_ALLOWED_IPS:
    # First, so that the time measured includes every other middleware.
    MIDDLEWARE.insert(0, "huifang.monitoring.middleware.RequestMetricsMiddleware")

ROOT_URLCONF = "huifang.urls"
WSGI_APPLICATION = "huifang.wsgi.application"

# Widgets rendered in Python with Django's markup (core/form_renderer.py): fast <select>s.
FORM_RENDERER = "huifang.core.form_renderer.FastWidgetRenderer"
_CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
    "django.template.context_processors.i18n",
    "huifang.core.navigation.navigation",
    "huifang.notify.context_processors.unread_notifications",
    "huifang.insights.context_processors.policy_to_acknowledge",
]
# Pages and e-mails are Jinja2 templates in each app's jinja2/ folder (why: see
# core/templating.py); Django's engine stays for the admin.
TEMPLATES = [
    {
        "NAME": "jinja2",
        "BACKEND": "huifang.core.templating.Jinja2Templates",
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "huifang.core.templating.environment",
            "context_processors": _CONTEXT_PROCESSORS,
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": _CONTEXT_PROCESSORS},
    },
]

# Filters that apps add to the template environment (name: dotted path).
HUIFANG_TEMPLATE_FILTERS = {
    "metric_value": "huifang.insights.formatting.metric_value",
    "percent": "huifang.insights.formatting.percent",
}

# --- Database -------------------------------------------------------------------------
# SQLite is the embedded default. WAL lets readers run beside the one writer,
# IMMEDIATE transactions take the write lock up front (so two writers queue on the
# busy timeout instead of failing with "database is locked" half-way through), and
# the busy timeout bounds how long a writer waits.
SQLITE_PATH = DATA_DIR / "huifang.sqlite3"
# Seconds a writer waits for the write lock before its request answers 503 (core/busy.py).
SQLITE_BUSY_TIMEOUT = env_int("HUIFANG_SQLITE_BUSY_TIMEOUT", 20)
DATABASE_URL = env_str("HUIFANG_DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # PostgreSQL's JIT compiles the dashboard's aggregates anew on every request,
        # costing more than it saves at this size (measured: ~370 ms of a 500 ms query).
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": SQLITE_BUSY_TIMEOUT,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT * 1000};"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# django-axes' backend first (AxesStandaloneBackend, which also lets authenticate() without
# a request through): it refuses to authenticate a locked-out username + address.
AUTHENTICATION_BACKENDS = [
    "huifang.core.security.LoginAttemptBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# --- Directory sign-in (LDAP / Active Directory) ---------------------------------------
# Off unless HUIFANG_LDAP_SERVER_URI is set. Then the directory's backend comes right
# after django-axes' check and before local passwords, and django-auth-ldap's settings
# are read from HUIFANG_LDAP_* (core/ldap_settings.py; docs/operations.md, "Directory
# sign-in").
_DIRECTORY = ldap_settings(os.environ)
if _DIRECTORY:
    globals().update(_DIRECTORY)
    AUTHENTICATION_BACKENDS = with_directory_backend(AUTHENTICATION_BACKENDS)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Cache ----------------------------------------------------------------------------
REDIS_URL = env_str("HUIFANG_REDIS_URL")
if REDIS_URL:
    # Django's Redis cache, except that a Redis that cannot be reached is a miss rather
    # than a failed page (core/cache.py).
    CACHES = {
        "default": {
            "BACKEND": "huifang.core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_FUNCTION": "huifang.core.cache.make_key",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_FUNCTION": "huifang.core.cache.make_key",
        }
    }
# Cache keys carry the release, so a deploy never reads what the previous code stored
# (core/cache.py). Unset: derived from the package's version and its code and
# translations; a deploy tool may set its own (a version tag or a commit).
HUIFANG_RELEASE = env_str("HUIFANG_RELEASE")
# 0 computes every cached page section and figure afresh on every request (the data
# version's cache, core/dataversion.py): to rule the cache out when a page looks wrong.
HUIFANG_DATAVERSION_CACHE = env_bool("HUIFANG_DATAVERSION_CACHE", True)

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("HUIFANG_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
# One date format per language, decided in huifang/core/formats/.
FORMAT_MODULE_PATH = ["huifang.core.formats"]
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# Project-wide static files (vendored front-end libraries, the shared stylesheet).
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"
WHITENOISE_USE_FINDERS = DEBUG

# --- E-mail ---------------------------------------------------------------------------
EMAIL_HOST = env_str("HUIFANG_EMAIL_HOST")
EMAIL_PORT = env_int("HUIFANG_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("HUIFANG_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("HUIFANG_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("HUIFANG_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("HUIFANG_EMAIL_FROM", "huifang@localhost")
# Without an SMTP host, mail is written to files under the data directory (one file
# per message) instead of being sent: the embedded install can show what would go out.
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = DATA_DIR / "mail"

# --- Security -------------------------------------------------------------------------
# The defaults serve the embedded install on http://127.0.0.1. Behind HTTPS set
# HUIFANG_SECURE_COOKIES=1 (secure session and CSRF cookies, redirect to HTTPS),
# HUIFANG_HSTS_SECONDS, HUIFANG_ALLOWED_HOSTS and a long HUIFANG_SECRET_KEY; then
# `huifang check --deploy` is clean (docs/operations.md, "Security settings").
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("HUIFANG_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("HUIFANG_SSL_REDIRECT", SESSION_COOKIE_SECURE)
# Load balancers probe /healthz and /readyz, and Prometheus scrapes each host's
# /metrics, over plain HTTP on the internal network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
if env_bool("HUIFANG_PROXY_SSL_HEADER", False):
    # Only behind a proxy that sets (and strips incoming) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("HUIFANG_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HUIFANG_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("HUIFANG_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4): same-origin files only, no inline script or
# style anywhere (JavaScript lives in static files), no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Login protection (django-axes 8): after AXES_FAILURE_LIMIT wrong passwords for one
# username from one address, that pair is locked out for the cool-off time; a
# successful login clears the count. Attempts are kept in the database, so every
# process and host sees the same count.
AXES_FAILURE_LIMIT = env_int("HUIFANG_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("HUIFANG_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "huifang.core.security.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Behind N trusted reverse proxies the client address is the N-th from the right of
# X-Forwarded-For; without proxies it is REMOTE_ADDR (nothing a client can forge).
HUIFANG_TRUSTED_PROXY_COUNT = env_int("HUIFANG_TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "huifang.core.security.client_ip"
AXES_USERNAME_CALLABLE = "huifang.core.security.login_username"
AXES_VERBOSE = False
# The API's bearer tokens: after this many 401 answers to one address within the
# cool-off time, its bearer requests get 429 until the time is over.
HUIFANG_TOKEN_FAILURE_LIMIT = env_int("HUIFANG_TOKEN_FAILURE_LIMIT", 20)

# --- Huifang --------------------------------------------------------------------------
HUIFANG_DEMO_PASSWORD = env_str("HUIFANG_DEMO_PASSWORD", "huifang-demo")
# Mounts the load benchmark's ceiling view (bench/run.py) outside DEBUG.
HUIFANG_BENCH = env_bool("HUIFANG_BENCH", False)
# How far ahead the home page looks for visits falling due.
HUIFANG_HOME_HORIZON_DAYS = 14
# Bounds on a project's dates, so planning one project is bounded work (a request holds
# SQLite's only write lock while it plans): every date entered lies within this many
# years of today, and a project lasts at most HUIFANG_PROJECT_MAX_YEARS (ten years of
# biweekly visits: 263 visits). The schedule engine also stops after
# visits.scheduling.MAX_ONGOING_VISITS ongoing visits, whatever the dates.
HUIFANG_PLANNING_HORIZON_YEARS = env_int("HUIFANG_PLANNING_HORIZON_YEARS", 10)
HUIFANG_PROJECT_MAX_YEARS = env_int("HUIFANG_PROJECT_MAX_YEARS", 10)
# Survey submissions allowed per client address per ten minutes.
HUIFANG_SURVEY_RATE_LIMIT = env_int("HUIFANG_SURVEY_RATE_LIMIT", 10)

# Absolute links in e-mails and webhook messages point here.
HUIFANG_BASE_URL = env_str("HUIFANG_BASE_URL", "http://127.0.0.1:8000")
# Notification deliveries: a claim older than the lease is taken to be a dead worker's.
HUIFANG_NOTIFY_LEASE_SECONDS = env_int("HUIFANG_NOTIFY_LEASE_SECONDS", 300)
HUIFANG_NOTIFY_MAX_ATTEMPTS = env_int("HUIFANG_NOTIFY_MAX_ATTEMPTS", 5)
HUIFANG_NOTIFY_RETRY_BASE_SECONDS = env_int("HUIFANG_NOTIFY_RETRY_BASE_SECONDS", 60)
# Local hour at which the daily sweep runs (beat, or the serve thread without a broker).
HUIFANG_SWEEP_HOUR = env_int("HUIFANG_SWEEP_HOUR", 8)
# Without a broker, `huifang serve` runs the periodic jobs beside gunicorn; 0 leaves them
# to someone else (the load benchmark, which times the sweep on its own).
HUIFANG_PERIODIC_JOBS = env_bool("HUIFANG_PERIODIC_JOBS", True)
# The largest request body accepted, refused with 413 before it is read
# (core/request_size.py, wrapped around the WSGI application). The default leaves room
# for a 10 MB attachment and the form around it; Django's own limits
# (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB of non-file fields; FILE_UPLOAD_MAX_MEMORY_SIZE,
# above which an upload goes to a temporary file) apply only once a body is read.
HUIFANG_MAX_REQUEST_MB = env_int("HUIFANG_MAX_REQUEST_MB", 12)
EMAIL_TIMEOUT = env_int("HUIFANG_EMAIL_TIMEOUT", 30)

# --- Celery ---------------------------------------------------------------------------
# With HUIFANG_REDIS_URL the tasks go through Redis to `huifang worker`; without it they
# run inline in the process that queues them (same task functions either way).
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only after it ran, and a task whose worker died is given back
# to the queue; the database claim makes the second run harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # How long Redis keeps an unacknowledged message before handing it to another worker.
    "visibility_timeout": env_int("HUIFANG_CELERY_VISIBILITY_TIMEOUT", 3600),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- Logs and error reporting ---------------------------------------------------------
# HUIFANG_LOG_FORMAT=json: one JSON object per line (time, level, logger, message,
# exception) for a log collector; the default is one plain line per record.
HUIFANG_LOG_FORMAT = env_str("HUIFANG_LOG_FORMAT", "plain").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "huifang.core.log_format.JsonFormatter"},
    },
    "filters": {"permission_denied": {"()": "huifang.core.log_filters.PermissionDeniedOneLine"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if HUIFANG_LOG_FORMAT == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("HUIFANG_LOG_LEVEL", "INFO")},
    "loggers": {
        # A 403 is one warning line, without its traceback.
        "django.request": {"filters": ["permission_denied"]},
        "django.db.backends": {"level": "WARNING"},
        # django-axes logs every failed login at INFO; lockouts still show as WARNING.
        "axes": {"level": "WARNING"},
        # WeasyPrint's font subsetting logs every table of every font at INFO.
        "fontTools": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
    },
}

# Errors reported to Sentry (or a compatible server such as GlitchTip) when a DSN is set
# (core/error_reporting.py): no cookies, no user data, request bodies scrubbed.
HUIFANG_SENTRY_DSN = env_str("HUIFANG_SENTRY_DSN")
HUIFANG_SENTRY_ENVIRONMENT = env_str("HUIFANG_SENTRY_ENVIRONMENT", "production")
HUIFANG_SENTRY_RELEASE = env_str("HUIFANG_SENTRY_RELEASE")

# --- Single sign-on (huifang/sso_settings.py) -------------------------------------------
# django-allauth's OpenID Connect, DingTalk and Feishu sign-in, configured from
# HUIFANG_OIDC_*, HUIFANG_DINGTALK_*, HUIFANG_FEISHU_*; HUIFANG_LOCAL_LOGIN and
# HUIFANG_SSO_* decide who may sign in how.
from huifang import sso_settings as _sso_settings  # noqa: E402

_sso_settings.apply(globals())
