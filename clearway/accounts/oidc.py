"""Single sign-on by OpenID Connect: NHS Care Identity Service 2 and Microsoft Entra ID.

mozilla-django-oidc runs the authorisation-code flow (state, nonce, PKCE, the token request
and the ID token's signature against the provider's keys). This module adds what Clearway
needs on top:

- the ID token's audience, issuer, expiry and issue time are checked (the library checks
  neither audience nor issuer);
- the userinfo ``sub`` must equal the ID token's;
- a person is found by (issuer, ``sub``) in ``ExternalIdentity``, never by email or username,
  so single sign-on never takes over a local account;
- the role comes from a claim through the table ``OIDC_ROLE_MAP``; a person none of whose
  claim values is in the table is refused, with a message on the sign-in page, and the
  refusal is audited as a failed sign-in.

Settings are read when a sign-in by the provider happens, not at import, so they can change
under ``override_settings`` in tests; empty endpoints come from the issuer's discovery document.
"""

import functools
import logging
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from clearway.accounts.models import Role, User

logger = logging.getLogger(__name__)

ROLE_REFUSED_MESSAGE = (
    "Your NHS smartcard role does not give you access to Clearway. Ask the service manager."
)
TURNED_OFF_MESSAGE = "This account has been turned off. Ask the service manager."

#: Settings that, left empty, come from the issuer's /.well-known/openid-configuration.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def failed_message() -> str:
    return (
        f"Signing in with {settings.OIDC_PROVIDER_NAME} did not work. Try again, or ask the "
        "service manager."
    )


@dataclass(frozen=True)
class SignInRefusal:
    """Why single sign-on refused someone: shown to them (message) and audited (reason)."""

    message: str
    reason: str
    username: str = ""


def refuse(request: HttpRequest, message: str, reason: str, username: str = "") -> None:
    # The callback view shows the message; the audit's failed sign-in receiver records the rest.
    request.sign_in_refusal = SignInRefusal(message, reason, username)  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=8)
def discover(issuer: str) -> dict[str, Any]:
    """The provider's discovery document, fetched once per issuer."""
    url = f"{issuer.rstrip('/')}/.well-known/openid-configuration"
    response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    if document.get("issuer") != issuer:
        raise ImproperlyConfigured(f"{url} names another issuer than OIDC_ISSUER.")
    return document


def oidc_setting(attr: str, *default: Any) -> Any:
    value = import_from_settings(attr, *default)
    if attr in DISCOVERED and not value:
        value = discover(settings.OIDC_ISSUER)[DISCOVERED[attr]]
    return value


def claim_values(claims: dict[str, Any]) -> list[str]:
    """The values of the role claim that the role table may match.

    Entra ID's ``roles`` is a list of app role values: each is matched as it is. CIS2's
    ``nhsid_nrbac_roles`` is a list of objects; each gives its ``role_code`` whole
    (``S8000:G8000:R8000``) and its last part, the job role (``R8000``). When CIS2 says which
    role the person chose at sign-in (``selected_roleid``), only that role counts.
    """
    value = claims.get(settings.OIDC_ROLE_CLAIM)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    selected = claims.get("selected_roleid")
    found: list[str] = []
    for item in items:
        if isinstance(item, dict):
            if selected and item.get("person_roleid") != selected:
                continue
            code = str(item.get("role_code") or "")
            if code:
                found += [code, code.split(":")[-1]]
        elif isinstance(item, str):
            found.append(item)
    return found


def mapped_role(claims: dict[str, Any]) -> str | None:
    """The Clearway role the table gives these claims: the table's first entry that matches."""
    values = set(claim_values(claims))
    for claim_value, role in settings.OIDC_ROLE_MAP.items():
        if claim_value in values and role in Role.values:
            return role
    return None


class ClearwayOIDCBackend(OIDCAuthenticationBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django builds every backend for every sign-in, local ones too: read the provider's
        # settings (and perhaps fetch its discovery document) only when it is used.
        self.UserModel = get_user_model()

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return oidc_setting(attr, *args)

    # Django's, which refuses accounts that have been turned off (the library's does not).
    get_user = ModelBackend.get_user

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        # Only the single sign-on callback passes a nonce; a local sign-in is not ours.
        if request is None or "nonce" not in kwargs or not settings.OIDC_ENABLED:
            return None
        try:
            super().__init__()
            return super().authenticate(request, **kwargs)
        except (SuspiciousOperation, jwt.InvalidTokenError) as error:
            logger.warning("Single sign-on refused: %s", error)
            refuse(request, failed_message(), f"single sign-on: {error}"[:200])
        except (requests.RequestException, ValueError, KeyError) as error:
            # The provider did not answer, or answered nonsense: say no more than the kind.
            logger.warning("Single sign-on failed: %s", type(error).__name__)
            refuse(request, failed_message(), f"single sign-on: {type(error).__name__}")
        return None

    def _verify_jws(self, payload: Any, key: Any) -> dict[str, Any]:
        """The ID token's signature, audience, issuer, expiry and issue time, all checked."""
        algorithm = jwt.get_unverified_header(payload).get("alg")
        if algorithm != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"ID token signed with {algorithm!r}, not the one expected")
        try:
            claims: dict[str, Any] = jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_ISSUER,
                leeway=settings.OIDC_ID_TOKEN_LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "sub", "exp", "iat"]},
            )
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"ID token refused: {error}") from None
        return claims

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> User | None:
        from clearway.accounts.services import sign_in_by_identity

        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload["sub"]:
            refuse(self.request, failed_message(), "single sign-on: userinfo sub differs")
            return None
        claims = {**payload, **userinfo}
        username = str(claims.get(settings.OIDC_USERNAME_CLAIM) or payload["sub"])
        role = mapped_role(claims)
        if role is None:
            refuse(self.request, ROLE_REFUSED_MESSAGE, "single sign-on: no mapped role", username)
            return None
        user = sign_in_by_identity(
            issuer=payload["iss"],
            subject=payload["sub"],
            username=username,
            role=role,
            first_name=str(claims.get("given_name") or ""),
            last_name=str(claims.get("family_name") or ""),
            email=str(claims.get("email") or ""),
        )
        if not user.is_active:
            refuse(self.request, TURNED_OFF_MESSAGE, "single sign-on: account turned off", username)
            return None
        return user


@register()
def check_role_map(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Every role in OIDC_ROLE_MAP must be one of Clearway's."""
    return [
        Error(
            f"OIDC_ROLE_MAP maps {claim_value!r} to {role!r}, which is not a Clearway role.",
            hint=f"Use one of {', '.join(Role.values)}.",
            id="clearway.E001",
        )
        for claim_value, role in settings.OIDC_ROLE_MAP.items()
        if role not in Role.values
    ]
