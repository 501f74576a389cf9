"""Under production settings Django's deployment checklist finds nothing to fix."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLEARWAY = Path(sys.executable).parent / "clearway"


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    # A clean environment: nothing from the test run (DJANGO_SETTINGS_MODULE, DEBUG) leaks in.
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "CLEARWAY_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "clearway.example.nhs.uk",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'clearway.sqlite3'}",
        "CLEARWAY_VAR_DIR": str(tmp_path),
        **extra,
    }


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_check_deploy_reports_no_issues_under_production_settings(tmp_path: Path) -> None:
    result = run([str(CLEARWAY), "manage", "check", "--deploy"], production_env(tmp_path), REPO)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


SHOW_SETTINGS = """
import json
from clearway.config import settings as s
print(json.dumps({name: getattr(s, name) for name in [
    "DEBUG", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY", "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    "SESSION_COOKIE_AGE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER", "PASSWORD_HASHERS",
]}))
"""


def production_settings(tmp_path: Path, **extra: str) -> dict[str, object]:
    result = run([sys.executable, "-c", SHOW_SETTINGS], production_env(tmp_path, **extra), REPO)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_cookies_are_secure_http_only_and_same_site(tmp_path: Path) -> None:
    found = production_settings(tmp_path)

    assert found["DEBUG"] is False
    assert found["SESSION_COOKIE_SECURE"] is True
    assert found["CSRF_COOKIE_SECURE"] is True
    assert found["SESSION_COOKIE_HTTPONLY"] is True
    assert found["CSRF_COOKIE_HTTPONLY"] is True
    assert found["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert found["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True
    assert found["SESSION_COOKIE_AGE"] == 12 * 3600
    assert found["SECURE_SSL_REDIRECT"] is True
    assert isinstance(found["SECURE_HSTS_SECONDS"], int)
    assert found["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert found["SECURE_PROXY_SSL_HEADER"] is None
    assert isinstance(found["PASSWORD_HASHERS"], list)
    assert found["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_the_proxy_header_that_marks_https_comes_from_the_environment(tmp_path: Path) -> None:
    found = production_settings(tmp_path, SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https")
    assert found["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.parametrize("value", ["HTTP_X_FORWARDED_PROTO", "a,b,c"])
def test_a_malformed_proxy_header_is_refused(tmp_path: Path, value: str) -> None:
    result = run(
        [sys.executable, "-c", SHOW_SETTINGS],
        production_env(tmp_path, SECURE_PROXY_SSL_HEADER=value),
        REPO,
    )
    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER must be" in result.stderr


HASH_A_PASSWORD = """
import os
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "clearway.config.settings"
django.setup()
from django.contrib.auth.hashers import check_password, make_password
encoded = make_password("correct-horse-battery-9")
assert check_password("correct-horse-battery-9", encoded)
print(encoded.split("$")[0])
"""


def test_production_hashes_passwords_with_argon2(tmp_path: Path) -> None:
    result = run([sys.executable, "-c", HASH_A_PASSWORD], production_env(tmp_path), REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "argon2"
