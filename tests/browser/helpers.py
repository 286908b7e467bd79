"""Helpers for the browser tests: screenshots into test-artifacts/, axe-core runs, editor access."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.config import REPO_ROOT

ARTIFACTS = REPO_ROOT / "test-artifacts"
AXE = REPO_ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
LSTM = "lstm-sequence-prediction"


def set_code(page: Any, code: str) -> None:
    """Replace the editor's content the way a person would: focus, select all, paste."""
    page.click(".cm-content")
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(code)


def editor_text(page: Any) -> str:
    return str(page.locator(".cm-content").inner_text())


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (0 = no sideways scrolling)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def screenshot(page: Any, name: str, full_page: bool = False) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def axe_violations(browser: Any, base_url: str, path: str, name: str, setup: Any = None) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on a page. Its own context bypasses the CSP so axe can be injected;
    the pages themselves are tested under the CSP everywhere else."""
    context = browser.new_context(base_url=base_url, viewport=DESKTOP, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(path)
        page.wait_for_load_state("networkidle")
        if setup is not None:
            setup(page)
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
            .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                   targets: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))""")
    finally:
        context.close()
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(violations, indent=2))
    return [v for v in violations if v["impact"] in ("serious", "critical")]
