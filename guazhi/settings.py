"""guazhi settings: one module, driven by environment variables.

Every variable read here is listed in docs/configuration.md (a test checks it).
SQLite under ./var/ is the default; DATABASE_URL switches to PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"环境变量 {name} 必须是整数，当前值为 {raw!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


MODE = env("GUAZHI_MODE", "development")
if MODE not in {"development", "production"}:
    raise ImproperlyConfigured("GUAZHI_MODE 只能是 development 或 production")
PRODUCTION = MODE == "production"

VAR_DIR = Path(env("GUAZHI_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("生产模式必须设置 SECRET_KEY 环境变量")
    # Development: a random key kept under ./var so sessions survive restarts.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()


def _dev_secret(name: str, make) -> str:
    """A development-only secret generated once into ./var (never used in production)."""
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


# Personal fields (ID numbers, mobiles) are encrypted with these Fernet keys; the first
# encrypts, all decrypt (rotation: docs/configuration.md). FIELD_HASH_KEY keys the hash used
# to find a record by ID number without decrypting.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
FIELD_HASH_KEY = env("FIELD_HASH_KEY")
if PRODUCTION and not (FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY):
    raise ImproperlyConfigured("生产模式必须设置 FIELD_ENCRYPTION_KEYS 和 FIELD_HASH_KEY 环境变量")
if not FIELD_ENCRYPTION_KEYS:
    from cryptography.fernet import Fernet

    FIELD_ENCRYPTION_KEYS = [_dev_secret("field_key", lambda: Fernet.generate_key().decode())]
if not FIELD_HASH_KEY:
    FIELD_HASH_KEY = _dev_secret("field_hash_key", lambda: secrets.token_urlsafe(32))

DEBUG = env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("生产模式不允许 DEBUG=1")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("生产模式必须设置 ALLOWED_HOSTS 环境变量（逗号分隔）")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_htmx",
    "template_partials",
    "csp",
    "guazhi.core",
    "guazhi.cadres",
    "guazhi.programmes",
    "guazhi.selection",
    "guazhi.teams",
    "guazhi.records",
    "guazhi.returns",
    "guazhi.assessment",
    "guazhi.projects",
    "guazhi.deeds",
    "guazhi.dashboard",
    "guazhi.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "guazhi.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "guazhi.core.middleware.AuditContextMiddleware",
    "guazhi.core.middleware.IdleTimeoutMiddleware",
    "guazhi.core.middleware.AdminSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "guazhi.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "guazhi.urls"
WSGI_APPLICATION = "guazhi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "guazhi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "guazhi.core.context_processors.shell",
            ],
        },
    }
]

# Django's form renderer, with <select>, <input> and <textarea> written in Python instead of
# through templates (core/renderers.py): a filter's unit list has hundreds of options at
# province scale, and the assessment round's table 183 inputs.
FORM_RENDERER = "guazhi.core.renderers.FastWidgetRenderer"

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "guazhi.sqlite3",
            "OPTIONS": {
                # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at
                # BEGIN so two writers queue instead of failing half-way ("database is locked").
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                " PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
# One request, one transaction: a failing request writes nothing partial.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A read replica (PostgreSQL streaming replica) for the dashboards and reports: inside those
# views the business records are read there, everything else stays on the primary
# (guazhi/core/dbrouter.py; docs/deploy.md).
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    # Tests read the replica through the primary's connection instead of a second database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["guazhi.core.dbrouter.ReplicaRouter"]
# PostgreSQL's join_collapse_limit for the app's connections (guazhi/core/dbtuning.py): the
# lists' select_related joins (8-9 tables) cost the planner 50 ms a query at the server's
# default of 8 and 6 ms at 4, for the same plan. 0 keeps the server's setting.
PG_JOIN_COLLAPSE_LIMIT = env_int("PG_JOIN_COLLAPSE_LIMIT", 4)
# Python's cycle collector in a served worker (guazhi/core/gctuning.py, from guazhi/wsgi.py):
# a young collection every this many new objects, after freezing what start-up built; 0 keeps
# the interpreter's defaults.
GC_THRESHOLD = env_int("GC_THRESHOLD", 10_000)

# --- Cache ----------------------------------------------------------------------------------
# One server: each worker process keeps its own memory cache. Two or more app servers must
# share one (REDIS_URL), so that the dashboard's invalidation, the site settings and the
# login throttle hold across them (docs/deploy.md).
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("GUAZHI_CACHE_PREFIX", "guazhi"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["guazhi.core.backends.RoleBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "guazhi.core.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 8)},
    },
    {"NAME": "guazhi.core.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "guazhi.core.passwords.NotUsernameValidator"},
    {"NAME": "guazhi.core.passwords.CommonPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"

# Defaults for the login rules; the system administrator can change them at run time
# (系统设置 page), these values seed that page.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)

SESSION_COOKIE_AGE = env_int("SESSION_MAX_HOURS", 12) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
OTP_TOTP_ISSUER = env("OTP_ISSUER", "guazhi 挂职管理")

# How many reverse proxies in front of the app append to X-Forwarded-For (0: trust none).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Where the public rating's one-time codes go (guazhi/deeds/sms.py): "console" logs them (no
# gateway is wired); a deployment names its own sending function as a dotted path.
GUAZHI_SMS_BACKEND = env("GUAZHI_SMS_BACKEND", "console")

# --- Security headers -----------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if TRUSTED_PROXY_COUNT:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "guazhi" / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files (npm packages served by whitenoise) ---------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request when it is missing
NODE_MODULES_DIR = Path(env("NODE_MODULES_DIR", str(BASE_DIR / "node_modules")))
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "guazhi.core.staticfinders.NpmFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production serves hashed, compressed files collected by `guazhi collectstatic`;
    # development serves straight from the finders (no collect step needed).
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_MANIFEST_STRICT = False
WHITENOISE_USE_FINDERS = not PRODUCTION
# Uploads (meeting attachments, deed photos, roster files between check and import). Several
# app servers must point this at one shared directory (NFS or similar; docs/deploy.md).
MEDIA_ROOT = Path(env("GUAZHI_MEDIA_ROOT", str(VAR_DIR / "media")))
# Meeting attachments: never served as static files, only through a view that checks scope.
ATTACHMENT_MAX_MB = env_int("GUAZHI_ATTACHMENT_MAX_MB", 10)
# How long the dashboard keeps a viewer's figures (dashboard/services.cached_overview); an
# edit to the records behind them invalidates them at once (0 turns the cache off).
DASHBOARD_CACHE_SECONDS = env_int("GUAZHI_DASHBOARD_CACHE_SECONDS", 120)

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "guazhi.core.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "EXCEPTION_HANDLER": "guazhi.core.apifields.exception_handler",  # stale edit → 409
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "guazhi API",
    "DESCRIPTION": "挂职干部全流程管理平台 REST API（/api/v1/）。使用 Token 认证：请求头 Authorization: Token 令牌值（在“个人设置”中生成）。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "guazhi.deeds.schema.public_rating_paths",
        "guazhi.core.schema.error_responses",
    ],
}

# --- Audit --------------------------------------------------------------------------------------
# Entries are never deleted by the application; this is the minimum the operator must keep
# when archiving (the spec asks for at least six months).
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365)
if AUDIT_RETENTION_DAYS < 183:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS 不得少于 183 天（审计日志至少保留 6 个月）")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}
