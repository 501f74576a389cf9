"""Clearway settings, read only from the environment.

Production is the default: nothing insecure happens unless ``CLEARWAY_ENV`` says ``local`` or
``test``. ``make install`` writes a ``.env`` for local use, which the ``clearway`` command reads
(see docs/adr/0002-settings-from-the-environment.md).
"""

import json
import os
import sys
from datetime import timedelta
from pathlib import Path

try:
    # A current SQLite, bundled: the system's (3.40 on Debian 12) has answered
    # "kind IN (...) AND effective <= ..." wrongly once it had planner statistics.
    import pysqlite3

    sys.modules["sqlite3"] = pysqlite3
except ImportError:  # no wheel for this platform: the system's SQLite
    pass

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parents[2]
PACKAGE_DIR = BASE_DIR / "clearway"

ENVIRONMENT = os.environ.get("CLEARWAY_ENV", "production")
if ENVIRONMENT not in {"production", "local", "test"}:
    raise ImproperlyConfigured(
        f"CLEARWAY_ENV must be production, local or test, not {ENVIRONMENT!r}"
    )
LOCAL = ENVIRONMENT in {"local", "test"}


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    return [item.strip() for item in value.split(",") if item.strip()] if value else default


DEBUG = _bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not LOCAL:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in production (CLEARWAY_ENV=production)."
        )
    SECRET_KEY = "clearway-local-only-not-secret"  # noqa: S105 - local and test only

ALLOWED_HOSTS = _list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if LOCAL else [])
CSRF_TRUSTED_ORIGINS = _list("CSRF_TRUSTED_ORIGINS", [])

VAR_DIR = Path(os.environ.get("CLEARWAY_VAR_DIR", BASE_DIR / "var"))

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'clearway.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
        ),
    }

INSTALLED_APPS = [
    "clearway.core",
    "clearway.accounts",
    "clearway.services",
    "clearway.pathways",
    "clearway.audit",
    "clearway.intake",
    "clearway.contact",
    "clearway.documents",
    "clearway.inbox",
    "clearway.demo",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "clearway.audit.middleware.AuditAccessDeniedMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "clearway.core.permissions.RoleRequiredMiddleware",
    "clearway.services.middleware.CurrentServiceMiddleware",
    "clearway.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "clearway.core.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees the sign-in that django-axes refused (see ``AXES_*`` below).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clearway.config.urls"
WSGI_APPLICATION = "clearway.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "clearway.config.jinja2.environment"},
    },
    {
        # The admin only.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked account is refused before its password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Older hashes still verify, and are upgraded to argon2 at the next sign-in.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:sign-in"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# nhsuk-frontend's built CSS, JS and icons, copied from node_modules by `make`.
STATICFILES_DIRS = [BASE_DIR / "build" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if LOCAL
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = LOCAL
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Sessions end after 30 minutes without activity and 12 hours after sign-in
# (clearway.core.middleware.SessionTimeoutMiddleware), and when the browser closes.
SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _bool("SECURE_COOKIES", not LOCAL)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True  # forms carry the token; no script needs the cookie
CSRF_COOKIE_SAMESITE = "Lax"
# HTTPS only in production. Behind a proxy that ends TLS, set SECURE_PROXY_SSL_HEADER to the
# header the proxy sets, e.g. "HTTP_X_FORWARDED_PROTO,https" (and make sure the proxy
# overwrites it), or the redirect to HTTPS will loop.
SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", not LOCAL)
_proxy_ssl_header = _list("SECURE_PROXY_SSL_HEADER", [])
if _proxy_ssl_header and len(_proxy_ssl_header) != 2:
    raise ImproperlyConfigured(
        'SECURE_PROXY_SSL_HEADER must be a header and a value, e.g. "HTTP_X_FORWARDED_PROTO,https"'
    )
SECURE_PROXY_SSL_HEADER = (
    (_proxy_ssl_header[0], _proxy_ssl_header[1]) if _proxy_ssl_header else None
)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if LOCAL else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading commits the whole domain to HTTPS in every browser: the domain's owner decides.
SECURE_HSTS_PRELOAD = _bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [
    # Axes warns when it does not also lock by address; staff of a trust share one address,
    # so that would let five mistakes lock out everyone. Accounts are locked by username.
    "axes.W006",
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# django-axes: lock an account (by username, not by address: staff share a NAT) after 5 failed
# sign-ins, for a cool-off; attempts are kept in the database, passwords never.
AXES_VERBOSE = False  # no start-up banner on every `clearway` command
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOCKOUT_COOL_OFF_MINUTES", "30")))
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_CALLABLE = "clearway.accounts.views.locked_out"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# The address axes records: X-Forwarded-For only behind a proxy that sets it (as the audit).
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    if _bool("TRUST_X_FORWARDED_FOR", False)
    else ["REMOTE_ADDR"]
)

# Single sign-on by OpenID Connect (NHS Care Identity Service 2, Microsoft Entra ID): on when
# OIDC_RP_CLIENT_ID is set. mozilla-django-oidc reads these names; clearway.accounts.oidc adds
# the audience and issuer checks, the identity by (issuer, sub) and the role table.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
OIDC_ONLY = _bool("OIDC_ONLY", False)
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "NHS Care Identity")
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
# Empty endpoints are read from the issuer's /.well-known/openid-configuration when first used.
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_SCOPES", "openid profile")
OIDC_ROLE_CLAIM = os.environ.get("OIDC_ROLE_CLAIM", "")
OIDC_USERNAME_CLAIM = os.environ.get("OIDC_USERNAME_CLAIM", "preferred_username")
try:
    OIDC_ROLE_MAP: dict[str, str] = json.loads(os.environ.get("OIDC_ROLE_MAP") or "{}")
except json.JSONDecodeError as error:
    raise ImproperlyConfigured(f"OIDC_ROLE_MAP must be a JSON object: {error}") from None
if not isinstance(OIDC_ROLE_MAP, dict) or not all(
    isinstance(key, str) and isinstance(value, str) for key, value in OIDC_ROLE_MAP.items()
):
    raise ImproperlyConfigured('OIDC_ROLE_MAP must map claim values to roles: {"R8000": "..."}')
if OIDC_ENABLED:
    _missing = [
        name
        for name, value in [
            ("OIDC_ISSUER", OIDC_ISSUER),
            ("OIDC_RP_CLIENT_SECRET", OIDC_RP_CLIENT_SECRET),
            ("OIDC_ROLE_CLAIM", OIDC_ROLE_CLAIM),
            ("OIDC_ROLE_MAP", OIDC_ROLE_MAP),
        ]
        if not value
    ]
    if _missing:
        raise ImproperlyConfigured(f"Single sign-on needs {', '.join(_missing)} as well.")
OIDC_USE_PKCE = _bool("OIDC_USE_PKCE", True)
OIDC_USE_NONCE = True
OIDC_TIMEOUT = 10
OIDC_ID_TOKEN_LEEWAY_SECONDS = 60  # clock skew allowed on exp and iat
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc-callback"
OIDC_STORE_ACCESS_TOKEN = False
OIDC_STORE_ID_TOKEN = False
LOGIN_REDIRECT_URL_FAILURE = "accounts:sign-in"
AUTHENTICATION_BACKENDS.append("clearway.accounts.oidc.ClearwayOIDCBackend")

# Clearway's own settings.
CLEARWAY_LIST_PAGE_SIZE = 50
# Uploaded files (legacy lists, PAS extracts): kept under generated names outside the web root
# (STATIC_ROOT is var/static; nothing serves var/uploads), and refused above this size.
CLEARWAY_UPLOAD_DIR = Path(os.environ.get("CLEARWAY_UPLOAD_DIR", VAR_DIR / "uploads"))
CLEARWAY_UPLOAD_MAX_BYTES = int(os.environ.get("CLEARWAY_UPLOAD_MAX_MB", "50")) * 1024 * 1024
# Take the audit trail's "from where" from X-Forwarded-For only behind a proxy that sets it;
# otherwise anyone could write any address there.
CLEARWAY_TRUST_X_FORWARDED_FOR = _bool("TRUST_X_FORWARDED_FOR", False)

# SMS and email through GOV.UK Notify (docs/messages.md). Clearway writes each message itself and
# sends it through one plain Notify template per channel: the SMS template's content is
# ((body)); the email template's subject is ((subject)) and its content ((body)). Locally, and
# in the tests, a Notify-compatible server on 127.0.0.1 (clearway.contact.notify_server) stands
# in for Notify with a key that is obviously not real; `clearway serve` starts it.
# The local server's fixed key: not a secret, and no use anywhere else.
NOTIFY_LOCAL_API_KEY = (
    "clearway_local_not_a_real_key"
    "-11111111-1111-4111-8111-111111111111-22222222-2222-4222-8222-222222222222"
)
NOTIFY_LOCAL_SMS_TEMPLATE_ID = "33333333-3333-4333-8333-333333333333"
NOTIFY_LOCAL_EMAIL_TEMPLATE_ID = "44444444-4444-4444-8444-444444444444"
NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY", NOTIFY_LOCAL_API_KEY if LOCAL else "")
NOTIFY_BASE_URL = os.environ.get(
    "NOTIFY_BASE_URL",
    "http://127.0.0.1:6011" if LOCAL else "https://api.notifications.service.gov.uk",
)
NOTIFY_SMS_TEMPLATE_ID = os.environ.get(
    "NOTIFY_SMS_TEMPLATE_ID", NOTIFY_LOCAL_SMS_TEMPLATE_ID if LOCAL else ""
)
NOTIFY_EMAIL_TEMPLATE_ID = os.environ.get(
    "NOTIFY_EMAIL_TEMPLATE_ID", NOTIFY_LOCAL_EMAIL_TEMPLATE_ID if LOCAL else ""
)
# Seconds Clearway waits for Notify to answer before it calls a message's fate unknown.
NOTIFY_TIMEOUT = float(os.environ.get("NOTIFY_TIMEOUT", "30"))
if NOTIFY_API_KEY and len(NOTIFY_API_KEY) < 74:
    raise ImproperlyConfigured(
        "NOTIFY_API_KEY must be a whole GOV.UK Notify API key: "
        "{key name}-{service id}-{secret}, as Notify shows it when the key is made."
    )

# The shared inbox (docs/inbox.md): mailboxes are set up in the admin; the password is read
# from the environment variable each mailbox names, never kept in the database. Messages and
# their attachments are kept under generated names here, outside the web root.
CLEARWAY_INBOX_DIR = Path(os.environ.get("CLEARWAY_INBOX_DIR", VAR_DIR / "inbox"))
# A message larger than this is kept as it arrived, but not taken apart into attachments.
CLEARWAY_INBOX_MAX_BYTES = int(os.environ.get("CLEARWAY_INBOX_MAX_MB", "40")) * 1024 * 1024
# Minutes from one background fetch to the next; seconds to wait for the mail server.
CLEARWAY_INBOX_FETCH_MINUTES = float(os.environ.get("CLEARWAY_INBOX_FETCH_MINUTES", "5"))
CLEARWAY_INBOX_TIMEOUT = float(os.environ.get("CLEARWAY_INBOX_TIMEOUT", "60"))
# The most messages one fetch takes from a mailbox; the rest wait for the next.
CLEARWAY_INBOX_BATCH = int(os.environ.get("CLEARWAY_INBOX_BATCH", "500"))
# A mail server whose certificate is signed by a private authority: that authority's
# certificate (PEM), trusted instead of the system's for the inbox only.
CLEARWAY_INBOX_CA_FILE = os.environ.get("CLEARWAY_INBOX_CA_FILE", "")

# Background work (sending messages, fetching their status) is kept in the database and run by
# `clearway manage db_worker` (in production, a service of its own; `clearway serve` runs one
# locally). The tests run the same worker in batch mode.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# No NHS number, name, phone number or report text in the logs (tests/audit/
# test_logs_have_no_identifiers.py): nothing logs request bodies; query strings (where a search
# puts a name) are cut from every message; SQL, whose parameters hold identifiers, is never
# logged; and Django's mail_admins handler, which would email the whole request, is removed.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_query_strings": {"()": "clearway.audit.logs.NoQueryStrings"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["no_query_strings"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.server": {"level": "WARNING", "handlers": [], "propagate": True},
        "django.db.backends": {"level": "INFO"},
    },
}
