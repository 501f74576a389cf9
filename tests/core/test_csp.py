"""Every page sends a strict Content Security Policy whose nonce is on every script it has.

The walk reuses the permission test's list of every URL, so a new page is checked as soon as it
exists. Django's admin (/admin/...) is left out of the policy by design: it relies on inline
scripts and styles of its own, and only administrators can open it.
"""

import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clearway.accounts.models import Role
from clearway.pathways.models import Referral
from tests.core.test_permissions import EXPECTED, OPEN_TO_EVERYONE, all_routes, concrete_path

NONCE = re.compile(r"'nonce-([A-Za-z0-9+/_=-]+)'")


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline_handlers: list[str] = []
        self.style_attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
        for name, value in attrs:
            if name.startswith("on"):
                self.inline_handlers.append(f"<{tag} {name}>")
            if name == "style":
                self.style_attributes.append(f"<{tag} style={value!r}>")
            if name in {"href", "src", "action"} and (value or "").lower().startswith(
                "javascript:"
            ):
                self.inline_handlers.append(f"<{tag} {name}={value!r}>")


def assert_strict_policy(response: Any, where: str) -> str:
    """Assert the response's policy is strict; return its nonce."""
    policy = response.headers.get("Content-Security-Policy")
    assert policy, f"{where}: no Content-Security-Policy"
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src, f"{where}: the policy does not govern scripts: {policy}"
    assert "'unsafe-inline'" not in policy, f"{where}: {policy}"
    assert "'unsafe-eval'" not in policy, f"{where}: {policy}"
    assert "*" not in script_src and "data:" not in script_src, f"{where}: {policy}"
    assert directives.get("object-src") == ["'none'"], f"{where}: {policy}"
    assert directives.get("frame-ancestors") == ["'none'"], f"{where}: {policy}"
    assert "base-uri" in directives, f"{where}: {policy}"
    nonces = NONCE.findall(" ".join(script_src))
    assert len(nonces) == 1, f"{where}: want one nonce in script-src: {policy}"
    assert len(nonces[0]) >= 22, f"{where}: the nonce is too short to be unguessable"
    return nonces[0]


def assert_page_follows_policy(response: Any, where: str) -> str:
    nonce = assert_strict_policy(response, where)
    if response.status_code in {301, 302} or not response.headers.get(
        "Content-Type", ""
    ).startswith("text/html"):
        return nonce
    parser = _Scripts()
    parser.feed(response.content.decode())
    assert parser.scripts, f"{where}: no scripts found; is this the app layout?"
    for script in parser.scripts:
        assert script.get("nonce") == nonce, f"{where}: a script without this nonce: {script}"
    assert not parser.inline_handlers, f"{where}: inline script the policy blocks: {parser}"
    assert not parser.style_attributes, f"{where}: inline styles the policy blocks"
    return nonce


@pytest.fixture
def referral(make_referral: Callable[..., Referral]) -> Referral:
    return make_referral()


def test_every_page_has_a_strict_policy_and_its_nonce_on_every_script(
    client_for: Callable[[str], Client], referral: Referral
) -> None:
    checked = []
    for route in all_routes():
        url = concrete_path(route, referral)
        if url.startswith("/admin/"):
            continue  # the admin is outside the policy (see above)
        if route.name in OPEN_TO_EVERYONE:
            response = Client().get(url)
        else:
            expected = EXPECTED[route.name]
            client = client_for(expected.roles[0])
            response = getattr(client, expected.method)(url)
            assert response.status_code == expected.status, url
        assert_page_follows_policy(response, f"{route.name} {url}")
        checked.append(route.name)
    assert "pathways:list" in checked and "accounts:sign-in" in checked


def test_the_sign_in_not_found_and_forbidden_pages_follow_the_policy(
    anonymous_client: Client, client_for: Callable[[str], Client]
) -> None:
    sign_in = anonymous_client.get(reverse("accounts:sign-in"))
    assert sign_in.status_code == 200
    assert_page_follows_policy(sign_in, "sign-in")

    not_found = client_for(Role.CLINICIAN).get("/no-such-page/")
    assert not_found.status_code == 404
    assert_page_follows_policy(not_found, "404")

    forbidden = client_for(Role.CLINICIAN).get(reverse("pathways:add-referral"))
    assert forbidden.status_code == 403
    assert_page_follows_policy(forbidden, "403")


def test_each_request_gets_a_new_nonce(client_for: Callable[[str], Client]) -> None:
    client = client_for(Role.COORDINATOR)
    nonces = {
        assert_page_follows_policy(client.get(reverse("pathways:list")), "list") for _ in range(3)
    }
    assert len(nonces) == 3
