"""Settings, read from the environment.

DATABASE_URL      default: SQLite file var/donhang.sqlite3
SECRET_KEY        default: generated once per install into var/secret_key
DEBUG             default: off
ALLOWED_HOSTS     comma-separated, default: localhost,127.0.0.1,[::1]
DONHANG_VAR_DIR   where the SQLite file, the secret key and uploads live (default ./var)
API_DOCS_PUBLIC   the API docs page and schema without logging in (default: off)

Scale (README "Running at scale"):
DATABASE_REPLICA_URL   a read replica: dashboard and report reads go there (config/routers.py)
DATABASE_CONN_MAX_AGE  seconds a PostgreSQL connection is kept (default 60; 0 behind PgBouncer)
DATABASE_POOLER        "pgbouncer": PgBouncer in transaction mode (no server-side cursors)
TASKS_BACKEND          "database" (default, the embedded queue) or "redis" (RQ on REDIS_URL)
REDIS_URL              the Redis of the task queue (default redis://127.0.0.1:6379/0)
CACHE_URL              redis://… puts the cache (rate limits, throttles) on Redis; default in-process
MAX_CONCURRENT_REQUESTS  requests one web process serves at once; more wait briefly, then 503
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DONHANG_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        # Generated once per install, never committed; O_EXCL avoids two processes racing.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG")
ALLOWED_HOSTS = [
    h.strip()
    # Not `testserver`: Django's test runner adds it for tests, and a site needs no such name.
    for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "bootstrap",
    # For the API docs page: Swagger UI from the package's own static files, never a CDN.
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "donhang.core",
    "donhang.accounts",
    "donhang.customers",
    "donhang.catalog",
    "donhang.inventory",
    "donhang.orders",
    "donhang.purchasing",
    "donhang.shipping",
    "donhang.invoicing",
    "donhang.marketplaces",
    "donhang.returns",
    "donhang.chatbot",
    "donhang.reports",
    "donhang.web",
    "donhang.api",
]

MIDDLEWARE = [
    # 503 with Retry-After, not 500, while the database is unreachable or busy, and when this
    # process already serves MAX_CONCURRENT_REQUESTS requests (donhang.core.middleware).
    "donhang.core.middleware.ServiceUnavailableMiddleware",
    "donhang.core.middleware.ConcurrencyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "donhang.web.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "donhang.web.middleware.ShopLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "donhang.web.context_processors.navigation",
            ],
        },
    },
]

# --- database -------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'donhang.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
    )
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # A health check before reusing a kept connection: after a database restart the first
    # request gets a fresh connection instead of an error.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Fail fast when the database is unreachable: a request answers 503 in seconds.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
    )
    if os.environ.get("DATABASE_POOLER", "").lower() == "pgbouncer":
        # Transaction pooling hands each transaction any server connection: a named cursor
        # (iterator() on PostgreSQL) would not survive between transactions.
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
if DATABASE_REPLICA_URL := os.environ.get("DATABASE_REPLICA_URL", ""):
    DATABASES["replica"] = {
        **dj_database_url.parse(
            DATABASE_REPLICA_URL, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"]
        ),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),
        "DISABLE_SERVER_SIDE_CURSORS": DATABASES["default"].get(
            "DISABLE_SERVER_SIDE_CURSORS", False
        ),
        # Tests read the test database through it, as they would a replica.
        "TEST": {"MIRROR": "default"},
    }
# Reads of the dashboard and reports go to the replica when there is one.
DATABASE_ROUTERS = ["config.routers.ReplicaRouter"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE: a writer takes the write lock at BEGIN, so concurrent writers queue on the
        # busy timeout instead of failing with "database is locked" on lock upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    # A file, not :memory:, so tests with real threads share one database.
    _test_name = os.environ.get("TEST_DATABASE_NAME", "test_donhang")
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"{_test_name}.sqlite3")}
else:
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get(
        "TEST_DATABASE_NAME", "test_donhang"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Log-in resolves a username as its throttle counts it (NFKC, case-folded).
AUTHENTICATION_BACKENDS = ["donhang.accounts.backends.UsernameBackend"]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Failed-login throttling: this many failures for one username or one address within the
# window locks further attempts until the window passes.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", "900"))

# The API docs page (/api/v1/docs) and schema (/api/v1/openapi.json) are for logged-in staff (the
# schema also for API keys) unless this is on.
API_DOCS_PUBLIC = _env_bool("API_DOCS_PUBLIC")

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "donhang_language"
# One date format and number grouping per language (2.861 and dd/mm/yyyy in Vietnamese).
FORMAT_MODULE_PATH = ["config.formats"]

# --- static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- background tasks -----------------------------------------------------
# TASKS_BACKEND: "database" (the embedded default: the queue is a table, `manage.py db_worker`)
# or "redis" (RQ on REDIS_URL, `manage.py rqworker default --with-scheduler`); a dotted path
# names any other django_tasks backend.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
_tasks_backend = os.environ.get("TASKS_BACKEND", "database").strip() or "database"
if _tasks_backend.lower() in {"redis", "rq"}:
    # django_tasks_rq's backend; a task enqueued while Redis is down waits in the database.
    TASKS = {"default": {"BACKEND": "donhang.core.taskqueue.RedisBackend", "QUEUES": ["default"]}}
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {
        "default": {
            "URL": REDIS_URL,
            # A job still running after this long is stopped (our tasks take seconds).
            "DEFAULT_TIMEOUT": int(os.environ.get("RQ_JOB_TIMEOUT", "600")),
        }
    }
    # PreloadedWorker: the tasks' code imported once per worker, not once per job.
    RQ = {
        "JOB_CLASS": "django_tasks_rq.Job",
        "WORKER_CLASS": "donhang.core.taskqueue.PreloadedWorker",
    }
    RQ_SHOW_ADMIN_LINK = False
else:
    TASKS = {
        "default": {
            "BACKEND": (
                "django_tasks_db.DatabaseBackend"
                if _tasks_backend.lower() in {"database", "db"}
                else _tasks_backend
            )
        }
    }

# Email to customers (shipping progress). Without EMAIL_HOST, messages go to the console.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "donhang <no-reply@localhost>")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
# The shop's first name and tax code: the shop profile page (owners; accounts.ShopProfile) starts
# from them, and documents print them until an owner saves the profile. After that the profile wins.
DONHANG_SHOP_NAME = os.environ.get("SHOP_NAME", "")
DONHANG_SHOP_TAX_CODE = os.environ.get("SHOP_TAX_CODE", "")
# Public address of this site, for links in customer messages (tracking page).
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
STOCKTAKE_PERIOD_DAYS = int(os.environ.get("STOCKTAKE_PERIOD_DAYS", "30"))
# VAT rate of the shipping fee charged to buyers ("0", "5", "8", "10" or "exempt").
SHIPPING_FEE_VAT_RATE = os.environ.get("SHIPPING_FEE_VAT_RATE", "8")
# E-invoices: the last day of the temporary 8 % VAT rate (Resolution 204/2025/QH15: 31 Dec 2026);
# an 8 % line invoiced after it is invoiced at 10 % and flagged for the accountant. Invoice PDFs
# (buyers' details) are kept outside MEDIA_ROOT, in INVOICE_FILES_ROOT (default var/private).
INVOICE_REDUCED_VAT_UNTIL = os.environ.get("INVOICE_REDUCED_VAT_UNTIL", "2026-12-31")
INVOICE_FILES_ROOT = os.environ.get("INVOICE_FILES_ROOT", "")
# Carrier webhooks: a body over this many bytes is refused (413) before it is read.
WEBHOOK_MAX_BODY_BYTES = int(os.environ.get("WEBHOOK_MAX_BODY_BYTES", str(1024 * 1024)))
# Spreadsheet imports (products, stocktake counts, COD statements): larger files, more rows or an
# .xlsx that unpacks to more are refused before they are parsed in full.
SPREADSHEET_IMPORT_MAX_BYTES = int(
    os.environ.get("SPREADSHEET_IMPORT_MAX_BYTES", str(10 * 1024 * 1024))
)
SPREADSHEET_IMPORT_MAX_ROWS = int(os.environ.get("SPREADSHEET_IMPORT_MAX_ROWS", "20000"))
SPREADSHEET_IMPORT_MAX_UNPACKED_BYTES = int(
    os.environ.get("SPREADSHEET_IMPORT_MAX_UNPACKED_BYTES", str(100 * 1024 * 1024))
)
# The chat widget's messages (413 above).
CHATBOT_WIDGET_MAX_BODY_BYTES = int(os.environ.get("CHATBOT_WIDGET_MAX_BODY_BYTES", "65536"))
# The public tracking page: lookups per client address, and failed lookups per order code or
# tracking number, within the window (seconds); more answer 429. Counted in the default cache.
TRACKING_LOOKUPS_PER_ADDRESS = int(os.environ.get("TRACKING_LOOKUPS_PER_ADDRESS", "30"))
TRACKING_FAILURES_PER_CODE = int(os.environ.get("TRACKING_FAILURES_PER_CODE", "10"))
TRACKING_LOOKUP_WINDOW_SECONDS = int(os.environ.get("TRACKING_LOOKUP_WINDOW_SECONDS", "600"))

# Where the demo's carrier emulators listen (`make run`, scripts/serve.sh); the demo's carrier
# accounts follow them.
CARRIER_EMULATOR_PORTS = {
    "ghn": int(os.environ.get("GHN_EMULATOR_PORT", "8701")),
    "viettelpost": int(os.environ.get("VTP_EMULATOR_PORT", "8702")),
}
# Barcodes given to variants without one: EAN-13 under the shop's GS1 Vietnam company prefix
# (893…) when set; else BARCODE_FALLBACK "ean13" (in-store numbers, prefix 20–29) or "code128"
# (the SKU itself).
BARCODE_GS1_PREFIX = os.environ.get("BARCODE_GS1_PREFIX", "")
BARCODE_FALLBACK = os.environ.get("BARCODE_FALLBACK", "ean13")
BARCODE_IN_STORE_PREFIX = os.environ.get("BARCODE_IN_STORE_PREFIX", "20")

# --- marketplaces (Shopee, Lazada, TikTok Shop) ----------------------------------------------
# Local time of the nightly full reconciliation of products and stock (off-peak).
MARKETPLACE_RECONCILE_AT = os.environ.get("MARKETPLACE_RECONCILE_AT", "02:00")
# Calls per second per shop we allow ourselves (the platforms' limits are per app and shop);
# 0: no throttle. A shop's options may set its own ("calls_per_second").
MARKETPLACE_CALLS_PER_SECOND = float(os.environ.get("MARKETPLACE_CALLS_PER_SECOND", "10"))
# Where the demo's marketplace emulators listen (`make run`); the demo shops follow them.
MARKETPLACE_EMULATOR_PORTS = {
    "shopee": int(os.environ.get("SHOPEE_EMULATOR_PORT", "8721")),
    "lazada": int(os.environ.get("LAZADA_EMULATOR_PORT", "8722")),
    "tiktok_shop": int(os.environ.get("TIKTOK_EMULATOR_PORT", "8723")),
}

# Where the demo's e-invoice emulators listen (`make run`); the demo accounts follow them
# (DEMO_SINVOICE_URL / DEMO_MISA_URL override the whole address).
INVOICE_EMULATOR_PORTS = {
    "sinvoice": int(os.environ.get("SINVOICE_EMULATOR_PORT", "8711")),
    "misa": int(os.environ.get("MISA_EMULATOR_PORT", "8712")),
}

# --- chatbot (web chat, Messenger, Zalo OA) -------------------------------------------------
# LLM mode when an OpenAI-compatible endpoint is set (OpenAI, Ollama, vLLM, llama.cpp server):
# e.g. CHATBOT_LLM_BASE_URL=http://127.0.0.1:11434/v1. Unset: the offline engine answers.
CHATBOT_LLM_BASE_URL = os.environ.get("CHATBOT_LLM_BASE_URL", "")
CHATBOT_LLM_API_KEY = os.environ.get("CHATBOT_LLM_API_KEY", "")
CHATBOT_LLM_MODEL = os.environ.get("CHATBOT_LLM_MODEL", "qwen2.5:7b-instruct")
CHATBOT_LLM_TIMEOUT = float(os.environ.get("CHATBOT_LLM_TIMEOUT", "20"))
# Zalo webhooks older than this (their own timestamp) are refused as replays.
CHATBOT_ZALO_MAX_AGE_SECONDS = int(os.environ.get("CHATBOT_ZALO_MAX_AGE_SECONDS", "86400"))
# The web widget: visitor tokens last this long; messages per visitor per minute; new chats per
# client address per hour.
CHATBOT_VISITOR_TOKEN_MAX_AGE = int(os.environ.get("CHATBOT_VISITOR_TOKEN_MAX_AGE", "7776000"))
CHATBOT_WIDGET_MESSAGES_PER_MINUTE = int(os.environ.get("CHATBOT_WIDGET_MESSAGES_PER_MINUTE", "20"))
CHATBOT_WIDGET_SESSIONS_PER_HOUR = int(os.environ.get("CHATBOT_WIDGET_SESSIONS_PER_HOUR", "60"))
# Where the demo's chat emulators listen (`make run`); the demo page and OA follow them.
CHATBOT_EMULATOR_PORTS = {
    "messenger": int(os.environ.get("MESSENGER_EMULATOR_PORT", "8731")),
    "zalo": int(os.environ.get("ZALO_EMULATOR_PORT", "8732")),
    "llm": int(os.environ.get("LLM_EMULATOR_PORT", "8733")),
}

# CACHE_URL=redis://…: one cache shared by every web process and machine (Django's RedisCache),
# so rate limits and throttles count across them; default: each process its own memory.
if (CACHE_URL := os.environ.get("CACHE_URL", "")).startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            # Django's RedisCache, carrying on without the cache while Redis is unreachable.
            "BACKEND": "donhang.core.cache.ResilientRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "donhang",
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Load shedding (donhang.core.middleware.ConcurrencyLimitMiddleware): requests one web process
# serves at once (0: no limit); a request over it waits up to MAX_QUEUE_WAIT_SECONDS for a slot,
# then answers 503 with Retry-After. A database that cannot be reached answers 503 too.
MAX_CONCURRENT_REQUESTS = int(os.environ.get("MAX_CONCURRENT_REQUESTS", "0"))
MAX_QUEUE_WAIT_SECONDS = float(os.environ.get("MAX_QUEUE_WAIT_SECONDS", "2"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = _env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = _env_bool("SECURE_COOKIES")
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # A refused request (403 and other 4xx) is one line in the log, not a traceback.
    "filters": {"refusals_one_line": {"()": "donhang.web.log_filters.RefusalsOneLine"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["refusals_one_line"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["refusals_one_line"]},
    },
}
