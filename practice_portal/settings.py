"""Settings for the practice portal, read from the environment.

With no environment set the portal runs in its embedded default: SQLite in the project
folder, Celery tasks eagerly in-process, media on local disk, console e-mail, DEBUG on.
`DJANGO_ENV=production` switches to safe production defaults (DEBUG off, a required
SECRET_KEY, secure cookies, HSTS); `DATABASE_URL` and `REDIS_URL` select PostgreSQL
and Redis whatever the mode.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from apps.core.breaker import FailFastConnection

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development").strip().lower()
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env_bool("DJANGO_DEBUG", default=not PRODUCTION)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production")
    # Development only: a fixed, obviously unsafe key so sessions survive restarts.
    SECRET_KEY = "dev-insecure-practice-portal-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "apps.sites",
    "apps.accounts",
    "apps.notifications",
    "apps.volunteers",
    "apps.orders",
    "apps.activities",
    "apps.showcase",
    "apps.points",
    "apps.reports",
    "apps.open311",
]

MIDDLEWARE = [
    # First: one log line per request (with its request id), whatever answers it.
    "practice_portal.requestlog.RequestLogMiddleware",
    # Before host validation (CommonMiddleware): the container health check probes
    # /healthz as localhost whatever ALLOWED_HOSTS holds.
    "practice_portal.health.HealthzMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A database that is down answers 503 (problem JSON or a plain page), never a 500.
    "apps.core.unavailable.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A NUL byte anywhere in the request answers 400 before a view runs.
    "apps.core.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "apps.accounts.middleware.PortalLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Writes the personal-data reveals a request queued, in one INSERT.
    "apps.accounts.access_log.AccessLogMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Axes last: it turns a locked-out login into a lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "practice_portal.urls"
WSGI_APPLICATION = "practice_portal.wsgi.application"
ASGI_APPLICATION = "practice_portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.accounts.context_processors.portal",
                "apps.notifications.context_processors.bell",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    # Persistent connections: a web worker keeps its connection for 10 minutes and
    # health-checks it before reuse, so a restarted PostgreSQL does not break requests.
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 600), conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # An unreachable server fails the connection in seconds (answered as 503), not
        # after the kernel's TCP timeout of minutes.
        DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
            "DB_CONNECT_TIMEOUT", 3
        )
        # No JIT for page queries: compiling them cost more than running them (a
        # suggestions query 1.9 s with JIT, 0.10 s without). Per connection, not global.
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # Reports may read a streaming replica (apps.reports.routers): the roll-up tables
    # only, and only while it keeps up; otherwise the primary.
    DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
    if DATABASE_REPLICA_URL:
        DATABASES["replica"] = dj_database_url.parse(
            DATABASE_REPLICA_URL,
            conn_max_age=env_int("DB_CONN_MAX_AGE", 600),
            conn_health_checks=True,
        )
        DATABASES["replica"]["OPTIONS"] = {
            "options": "-c jit=off",
            "connect_timeout": env_int("DB_CONNECT_TIMEOUT", 3),
        }
        # Tests run against the primary's test database under this alias too.
        DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
        DATABASE_ROUTERS = ["apps.reports.routers.ReportReplicaRouter"]
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and cache ---------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                # A cache outage must not take the portal down: throttling degrades
                # to no throttling instead of raising. Half a second at most per call,
                # and after a failure the breaker skips Redis for a few seconds, so a
                # frozen Redis costs a request one timeout, not one per cache call.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": env_float("CACHE_SOCKET_TIMEOUT", 0.5),
                "SOCKET_TIMEOUT": env_float("CACHE_SOCKET_TIMEOUT", 0.5),
                "CONNECTION_POOL_KWARGS": {"connection_class": FailFastConnection},
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Embedded default: no broker, so tasks run in-process at enqueue time.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Shanghai"
# A worker killed mid-task must not lose it: acknowledge after the task ran and hand
# tasks of a lost worker back to the queue.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 180)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Worker and beat: bounded waits on a broker that stopped answering (they reconnect).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": env_float("BROKER_SOCKET_TIMEOUT", 2),
    "socket_timeout": env_float("BROKER_SOCKET_TIMEOUT", 2),
    "health_check_interval": 25,
}
# Publishing from a request (apps.notifications.outbox): half a second at most, no
# retries; what is not enqueued stays in the outbox for the sweep.
CELERY_PUBLISH_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": env_float("BROKER_PUBLISH_TIMEOUT", 0.5),
    "socket_timeout": env_float("BROKER_PUBLISH_TIMEOUT", 0.5),
}
CELERY_WORKER_CONCURRENCY = env_int("WORKER_CONCURRENCY", 2)
# Beat's scheduler writes a heartbeat to Redis at every tick (practice_portal/heartbeat.py):
# /healthz and beat's own health check read it.
CELERY_BEAT_SCHEDULER = "practice_portal.heartbeat:HeartbeatScheduler"
CELERY_BEAT_SCHEDULE_FILENAME = os.environ.get("BEAT_SCHEDULE_FILE", "/tmp/celerybeat-schedule")  # noqa: S108
# Beat wakes at least this often, so a live beat's heartbeat is never older than this.
CELERY_BEAT_MAX_LOOP_INTERVAL = 30
# A heartbeat older than this reads "stale" (four missed wake-ups).
BEAT_STALE_SECONDS = env_int("BEAT_STALE_SECONDS", 120)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
# Orders completed but not rated within 7 days move on to assessment unrated.
CELERY_BEAT_SCHEDULE["orders-lapse-unrated"] = {
    "task": "apps.orders.tasks.lapse_unrated_orders",
    "schedule": 3600.0,  # hourly: an order waits at most an hour past its 7 days
}
# Re-enqueue notification deliveries the broker lost and retries that are due.
CELERY_BEAT_SCHEDULE["notifications-sweep"] = {
    "task": "apps.notifications.tasks.sweep_deliveries",
    "schedule": float(env_int("NOTIFY_SWEEP_SECONDS", 60)),
}
# Orders waiting past their site's dispatch limit escalate (county level: flagged).
CELERY_BEAT_SCHEDULE["orders-escalate-overdue"] = {
    "task": "apps.orders.tasks.escalate_overdue_orders",
    "schedule": 300.0,
}
# Activity reminders (the day before, two hours before): a sweep, each sent once.
CELERY_BEAT_SCHEDULE["activities-reminders"] = {
    "task": "apps.activities.tasks.send_reminders",
    "schedule": 600.0,  # apps.activities.services.reminders.REMINDER_SWEEP_SECONDS
}
# Nightly report roll-ups, after the settlement.
CELERY_BEAT_SCHEDULE["reports-nightly-rollup"] = {
    "task": "apps.reports.tasks.nightly_rollup",
    "schedule": crontab(hour=2, minute=30),
}
# Nightly points settlement of yesterday's assessed orders, 01:30 Asia/Shanghai.
CELERY_BEAT_SCHEDULE["points-nightly-settlement"] = {
    "task": "apps.points.tasks.settle_points",
    "schedule": crontab(hour=1, minute=30),
}

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out username/IP before any password check.
    "axes.backends.AxesStandaloneBackend",
    "apps.accounts.backends.UsernameOrMobileBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# django-axes: 5 failed logins for one username from one address lock it for 30 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# Failures count per account whatever spelling of username/mobile was typed, and the
# API gets a JSON problem body instead of the HTML lockout page.
AXES_USERNAME_CALLABLE = "apps.accounts.lockout.lockout_username"
AXES_LOCKOUT_CALLABLE = "apps.accounts.lockout.lockout_response"
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False

# --- API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call then answers 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.PageNumberPagination",
    "DEFAULT_RENDERER_CLASSES": [
        "apps.core.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("THROTTLE_ANON", "120/min"),
        "user": os.environ.get("THROTTLE_USER", "1200/min"),
        "login": os.environ.get("THROTTLE_LOGIN", "10/min"),
        "register": os.environ.get("THROTTLE_REGISTER", "20/hour"),
        # Asking for an account-claim code (apps/accounts/claim.py), per client address.
        "claim": os.environ.get("THROTTLE_CLAIM", "10/hour"),
        # Open311 calls per integrator key (apps/open311/keys.py).
        "open311": os.environ.get("THROTTLE_OPEN311", "120/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Reverse proxies in front of the app that append to X-Forwarded-For. 0 (default):
    # trust no such header and throttle by the socket's address; production behind one
    # proxy: NUM_PROXIES=1 (the address that proxy saw). DRF trusts the whole header
    # when this is None, which lets a client pick its own throttle bucket.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "新时代文明实践志愿服务平台 API",
    "DESCRIPTION": "Practice Portal API v1: sites, accounts, volunteers, orders, points.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI is served from static/ (vendored by drf-spectacular-sidecar): no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.schema.add_problem_responses",
    ],
    # Several models have a "status" or "category": give each choice set its own name.
    "ENUM_NAME_OVERRIDES": {
        "ServiceCategoryEnum": "apps.volunteers.models.ServiceCategory",
        "VolunteerStatusEnum": "apps.volunteers.models.VolunteerStatus",
        "OrderStatusEnum": "apps.orders.models.OrderStatus",
        "AssignmentStatusEnum": "apps.orders.models.AssignmentStatus",
        "RedemptionStatusEnum": "apps.points.models.RedemptionStatus",
        "SettlementStatusEnum": "apps.points.models.SettlementStatus",
        "ActivityStatusEnum": "apps.activities.models.ActivityStatus",
        "SignupStatusEnum": "apps.activities.models.SignupStatus",
        "AttendanceStatusEnum": "apps.activities.models.AttendanceStatus",
        "PointsModeEnum": "apps.activities.models.PointsMode",
    },
}

# --- I18N -----------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Nothing serves MEDIA_URL: uploads are private. Each kind of upload has a view that
# checks who may see it (order photos: apps.orders.views.photo) and hands the file to
# nginx through X-Accel-Redirect to this internal location (deploy/nginx/); with it
# empty (development, tests) the view streams the file itself.
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_INTERNAL_URL = os.environ.get("MEDIA_INTERNAL_URL", "/_protected/" if PRODUCTION else "")
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
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- E-mail ---------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH")  # for the file-based backend
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@practice-portal.local")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # /healthz is probed over plain HTTP by the container health check.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# One line per request (practice_portal.requestlog) and per Celery task
# (practice_portal.celery) on stdout, each with the request id; errors with tracebacks.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "practice_portal.requestlog.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Django's own handlers print only with DEBUG on; its records reach the root's.
        "django": {"handlers": [], "level": "INFO"},
        # 4xx/5xx lines come from our request log; errors with tracebacks still pass.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        # Celery's "Task … succeeded" duplicates our task line; failures still pass.
        "celery.app.trace": {"level": "WARNING"},
    },
}

# Error reporting when a DSN is given (nothing is sent otherwise).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", DJANGO_ENV),
        integrations=[DjangoIntegration(), CeleryIntegration()],
        traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0),
        send_default_pii=False,  # residents' names, mobiles and addresses stay here
    )

# --- Portal ---------------------------------------------------------------------------
PORTAL_NAME = _("新时代文明实践志愿服务平台")
PORTAL_COUNTY_NAME = os.environ.get("PORTAL_COUNTY_NAME", "")
# Cookie that remembers the large-text (长辈模式) switch across pages, for a year.
LARGE_TEXT_COOKIE = "portal_large_text"
DEMO_SEEDERS = [
    "apps.sites.demo.seed",
    "apps.accounts.demo.seed",
    "apps.volunteers.demo.seed",
    "apps.orders.demo.seed",
    "apps.activities.demo.seed",
    "apps.showcase.demo.seed",
    "apps.points.demo.seed",
    "apps.reports.demo.seed",
    "apps.open311.demo.seed",
]

# Volunteer star levels (星级评定) from cumulative confirmed service hours, per the
# national volunteer service record rules: 100 h one star, 300 two, 600 three,
# 1,000 four, 1,500 five.
VOLUNTEER_STAR_THRESHOLDS = [100, 300, 600, 1000, 1500]

# Notifications: links in e-mails point here; retries back off 1, 2, 4 … minutes.
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000")
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 5)
NOTIFY_BACKOFF_SECONDS = env_int("NOTIFY_BACKOFF_SECONDS", 60)
NOTIFY_WEBHOOK_TIMEOUT = env_int("NOTIFY_WEBHOOK_TIMEOUT", 10)
# The sweep leaves pending rows younger than this alone (most likely still queued).
NOTIFY_SWEEP_GRACE_SECONDS = env_int("NOTIFY_SWEEP_GRACE_SECONDS", 30)

# 晒成果 → the county media center (双中心融合): published and withdrawn showcase posts are
# pushed to this URL as JSON signed with HMAC-SHA256 under PORTAL_WEBHOOK_SECRET
# (README: "Showcase"). Empty URL: no push (the feeds still carry everything).
MEDIA_CENTER_WEBHOOK_URL = os.environ.get("MEDIA_CENTER_WEBHOOK_URL", "")
PORTAL_WEBHOOK_SECRET = os.environ.get("PORTAL_WEBHOOK_SECRET", "")

# --- Text messages (短信): a backend chosen like EMAIL_BACKEND (apps/notifications/sms) --
ORDER_NUDGE_WAIT_MINUTES = env_int("ORDER_NUDGE_WAIT_MINUTES", 30)
SMS_BACKEND = os.environ.get("SMS_BACKEND", "apps.notifications.sms.console.SmsBackend")
SMS_FILE_PATH = os.environ.get("SMS_FILE_PATH", "")
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 10)
SMS_ALIYUN_ACCESS_KEY_ID = os.environ.get("SMS_ALIYUN_ACCESS_KEY_ID", "")
SMS_ALIYUN_ACCESS_KEY_SECRET = os.environ.get("SMS_ALIYUN_ACCESS_KEY_SECRET", "")
SMS_ALIYUN_SIGN_NAME = os.environ.get("SMS_ALIYUN_SIGN_NAME", "")
SMS_ALIYUN_TEMPLATE_CODE = os.environ.get("SMS_ALIYUN_TEMPLATE_CODE", "")
SMS_ALIYUN_ENDPOINT = os.environ.get("SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
SMS_ALIYUN_REGION = os.environ.get("SMS_ALIYUN_REGION", "cn-hangzhou")

# Orders left undispatched this long at a site escalate to its parent (per-site
# override: Site.escalation_minutes).
ORDER_ESCALATION_MINUTES = env_int("ORDER_ESCALATION_MINUTES", 120)
# Check-in opens this many minutes before an order's preferred start.
ORDER_CHECK_IN_OPENS_MINUTES = env_int("ORDER_CHECK_IN_OPENS_MINUTES", 60)
# A volunteer who has not answered a dispatch (accept or decline) this long lapses; the
# order returns to the queue when too few volunteers remain.
ORDER_ASSIGNMENT_ANSWER_MINUTES = env_int("ORDER_ASSIGNMENT_ANSWER_MINUTES", 60)
