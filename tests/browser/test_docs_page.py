"""The API page (/docs, Swagger UI), linked from every page, passes axe like the rest of the site."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.helpers import axe_violations

pytestmark = pytest.mark.browser


def expand_an_operation(page: Any) -> None:
    page.locator(".opblock-summary").first.click()
    page.wait_for_selector(".opblock-body")


@pytest.mark.parametrize("setup", [None, expand_an_operation], ids=["collapsed", "expanded"])
def test_the_api_page_has_no_serious_axe_violations(browser: Any, base_url: str, setup: Any) -> None:
    assert axe_violations(browser, base_url, "/docs", f"docs-{'expanded' if setup else 'collapsed'}", setup) == []
