"""Accessibility checks with axe-core, run inside a Playwright page.

axe is injected through Playwright's evaluate (the DevTools protocol), which the page's
Content-Security-Policy does not govern, so pages keep their real, strict CSP while tested.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_SOURCE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.2 AA, as axe tags it (each level's rules carry the tag of the version that added them).
WCAG_22_AA_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")

_RUN_AXE = """
async (tags) => {
  const results = await window.axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    helpUrl: violation.helpUrl,
    targets: violation.nodes.map((node) => node.target.flat(Infinity).join(" >>> ")),
  }));
}
"""

MAX_TARGETS_SHOWN = 3


@cache
def axe_source() -> str:
    if not AXE_SOURCE.is_file():
        pytest.fail(f"axe-core not found at {AXE_SOURCE}: run `npm install` in {REPO_ROOT}")
    return AXE_SOURCE.read_text(encoding="utf-8")


def inject_axe(page: Page) -> None:
    """Load axe into the page unless it is already there."""
    if page.evaluate("typeof window.axe === 'undefined'"):
        # A function body (not an inline <script>), so CSP script-src does not block it.
        page.evaluate("() => {\n" + axe_source() + "\n}")


def axe_violations(page: Page, tags: tuple[str, ...] = WCAG_22_AA_TAGS) -> list[dict[str, Any]]:
    inject_axe(page)
    return page.evaluate(_RUN_AXE, list(tags))


def format_violations(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{len(violations)} accessibility violation(s) on {url}:"]
    for violation in violations:
        targets = violation["targets"]
        shown = ", ".join(targets[:MAX_TARGETS_SHOWN])
        more = (
            f" (+{len(targets) - MAX_TARGETS_SHOWN} more)"
            if len(targets) > MAX_TARGETS_SHOWN
            else ""
        )
        lines.append(
            f"- {violation['id']} [{violation['impact']}]: {violation['help']}"
            f" <{violation['helpUrl']}>\n    at {shown}{more}"
        )
    return "\n".join(lines)


def assert_accessible(page: Page, tags: tuple[str, ...] = WCAG_22_AA_TAGS) -> None:
    """Fail unless axe finds no WCAG 2.2 AA violations on the page as it is now."""
    violations = axe_violations(page, tags)
    assert not violations, format_violations(page.url, violations)
