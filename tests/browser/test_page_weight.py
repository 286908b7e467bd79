"""A lesson's weight on the wire: the first visit fits in 250 KiB, a return visit asks for no static file at all."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.helpers import LSTM

pytestmark = pytest.mark.browser

FIRST_VISIT_BUDGET = 250 * 1024


class WireLog:
    """Every request a page makes, from Chromium's own network log (CDP): bytes received (headers + encoded body)
    and whether it reached the server or came from the cache."""

    def __init__(self, page: Any) -> None:
        self.urls: dict[str, str] = {}
        self.from_cache: set[str] = set()
        self.status: dict[str, int] = {}
        self.bytes: dict[str, float] = {}
        cdp = page.context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.requestServedFromCache", lambda e: self.from_cache.add(e["requestId"]))
        cdp.on("Network.responseReceived", self._received)
        cdp.on("Network.loadingFinished", lambda e: self.bytes.__setitem__(e["requestId"], e["encodedDataLength"]))
        cdp.send("Network.enable")

    def _sent(self, event: dict[str, Any]) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _received(self, event: dict[str, Any]) -> None:
        self.status[event["requestId"]] = event["response"]["status"]
        if event["response"].get("fromDiskCache") or event["response"].get("fromPrefetchCache"):
            self.from_cache.add(event["requestId"])

    def total_bytes(self) -> int:
        return int(sum(self.bytes.values()))

    def network_urls(self, part: str) -> list[str]:
        """URLs containing `part` that went to the server (a 304 revalidation counts: it is a round trip)."""
        return sorted(url for rid, url in self.urls.items() if part in url and rid not in self.from_cache)


def _visit(page: Any) -> None:
    page.goto(f"/lessons/{LSTM}")
    page.wait_for_selector(".cm-content")  # the editor (CodeMirror, imported lazily) is the heaviest part
    page.wait_for_load_state("networkidle")


def test_lesson_first_visit_is_light_and_a_return_visit_asks_for_no_static_file(new_page: Any) -> None:
    page = new_page()
    first = WireLog(page)
    _visit(page)
    total = first.total_bytes()
    print(f"\nfirst visit: {len(first.urls)} requests, {total} bytes ({total / 1024:.1f} KiB) on the wire")
    for rid, url in sorted(first.urls.items(), key=lambda item: -first.bytes.get(item[0], 0)):
        print(f"  {first.bytes.get(rid, 0):>9.0f}  {first.status.get(rid, '-')}  {url}")
    assert total <= FIRST_VISIT_BUDGET, f"first visit {total} bytes > {FIRST_VISIT_BUDGET}"
    assert first.network_urls("/static/"), "the first visit loaded no static file: the log is not working"

    second = WireLog(page)
    _visit(page)
    fetched = second.network_urls("/static/")
    cached = [url for rid, url in second.urls.items() if "/static/" in url and rid in second.from_cache]
    print(f"return visit: {len(fetched)} static requests to the server, {len(cached)} static files from cache, "
          f"{second.total_bytes()} bytes on the wire")
    assert fetched == [], f"a return visit re-requested {fetched}"
