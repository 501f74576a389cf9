"""The browser-test machinery itself works: Chromium starts, axe runs under a strict CSP,
and axe fails a page that breaks WCAG. Needs no Django database."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator

import pytest

STRICT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

ACCESSIBLE_PAGE = """<!doctype html>
<html lang="en-GB">
<head><meta charset="utf-8"><title>Waiting list - Clearway</title></head>
<body>
<header><a href="#main">Skip to main content</a></header>
<main id="main">
<h1>Waiting list</h1>
<p>Children waiting for a panel.</p>
<img src="/logo.png" alt="Clearway">
</main>
</body>
</html>"""

INACCESSIBLE_PAGE = ACCESSIBLE_PAGE.replace(' alt="Clearway"', "")

PAGES = {"/accessible": ACCESSIBLE_PAGE, "/inaccessible": INACCESSIBLE_PAGE}


class StrictCSPHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = PAGES.get(self.path, "").encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Security-Policy", STRICT_CSP)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def strict_csp_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StrictCSPHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_axe_passes_an_accessible_page_served_with_a_strict_csp(
    page, strict_csp_server: str, axe: Callable
) -> None:
    # Given a page whose CSP forbids inline scripts
    response = page.goto(f"{strict_csp_server}/accessible")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # and which the CSP really blocks inline scripts on
    with pytest.raises(Exception, match="Content Security Policy"):
        page.add_script_tag(content="window.inlineRan = true")

    # When axe checks it, then it finds nothing wrong
    axe(page)
    assert page.title() == "Waiting list - Clearway"


def test_axe_fails_a_page_with_an_image_without_alt_text(
    page, strict_csp_server: str, axe: Callable
) -> None:
    # Given a page with an image that has no alternative text
    page.goto(f"{strict_csp_server}/inaccessible")

    # When axe checks it, then the check fails and names the rule and the element
    with pytest.raises(AssertionError, match=r"image-alt \[critical\]") as failure:
        axe(page)
    assert "at img" in str(failure.value)
