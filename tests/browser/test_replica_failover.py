"""A real browser follows a grading through a load balancer (a small TCP proxy here) over two web replicas of the
scaled layout; the replica it streams from is SIGKILLed. Chromium's EventSource reconnects by itself, the proxy sends
it to the surviving replica, Last-Event-ID resumes the stream: every logged event arrives once, then the report."""

from __future__ import annotations

import signal
import socket
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from app.database import Database
from app.tables import SubmissionEventRow
from tests.app.test_scaleout_web import Processes, layout  # noqa: F401 - the scaled-layout fixture
from tests.browser.helpers import DESKTOP, set_code

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

# Wraps EventSource before the page's scripts run, recording each event's type and id as the browser saw them.
RECORD_SSE = """
(() => {
  const Native = window.EventSource;
  window.__sse = [];
  function Recording(url, options) {
    const source = new Native(url, options);
    for (const type of ["queued", "started", "phase", "epoch", "report"]) {
      source.addEventListener(type, (e) => window.__sse.push({type, id: e.lastEventId}));
    }
    return source;
  }
  Recording.prototype = Native.prototype;
  for (const key of ["CONNECTING", "OPEN", "CLOSED"]) Recording[key] = Native[key];
  window.EventSource = Recording;
})();
"""


class SwitchingProxy:
    """A TCP load balancer with one live backend at a time: switch() points new connections elsewhere."""

    def __init__(self, backend_port: int) -> None:
        self.backend_port = backend_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def switch(self, backend_port: int) -> None:
        self.backend_port = backend_port

    def close(self) -> None:
        self._stop.set()
        self.listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.backend_port), timeout=5)
            except OSError:
                client.close()  # like a balancer with no healthy backend: the browser retries
                continue
            upstream.settimeout(None)
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture
def proxy_over_two_replicas(layout: tuple[str, Processes]) -> Iterator[tuple[str, Processes, SwitchingProxy]]:  # noqa: F811
    url, procs = layout
    first, _second = procs.serve("web1"), procs.serve("web2")
    procs.start("host", [sys.executable, "-m", "tests.app.fault_host", url, str(procs.logs / "ledger.txt"), "h",
                         "--seconds", "6"])
    proxy = SwitchingProxy(int(first.rsplit(":", 1)[1]))
    try:
        yield url, procs, proxy
    finally:
        proxy.close()


def test_the_browser_resumes_on_the_other_replica_and_misses_no_event(
        browser: Any, proxy_over_two_replicas: tuple[str, Processes, SwitchingProxy]) -> None:
    url, procs, proxy = proxy_over_two_replicas
    context = browser.new_context(base_url=f"http://127.0.0.1:{proxy.port}", viewport=DESKTOP)
    try:
        page = context.new_page()
        page.add_init_script(RECORD_SSE)
        page.goto("/lessons/sequence-windows")
        set_code(page, "# job failover learner 1\n")
        page.click("#submit")
        page.wait_for_function("() => window.__sse.filter(e => e.type === 'epoch').length >= 3", timeout=60_000)

        before_kill = len(page.evaluate("() => window.__sse"))
        proxy.switch(procs.ports["web2"])
        procs.procs["web1"].send_signal(signal.SIGKILL)  # mid-stream: the browser's connection drops
        procs.procs["web1"].wait(10)

        page.wait_for_function("() => window.__sse.some(e => e.type === 'report')", timeout=90_000)
        page.wait_for_selector("#report", state="visible", timeout=30_000)
        seen = page.evaluate("() => window.__sse")
        submission_id = page.evaluate("() => fetch('/api/lessons/sequence-windows/submissions').then(r => r.json())"
                                      ".then(list => list[0].id)")
    finally:
        context.close()

    ids = [int(e["id"]) for e in seen if e["id"]]
    assert ids == sorted(ids) and len(ids) == len(set(ids)), f"an event arrived twice: {seen}"
    database = Database(url)
    try:
        with database.session() as session:
            logged = list(session.scalars(select(SubmissionEventRow.id).where(
                SubmissionEventRow.submission_id == submission_id).order_by(SubmissionEventRow.id)))
    finally:
        database.close()
    assert ids == logged, "the browser missed or repeated events across the failover"
    assert seen[-1]["type"] == "report"
    assert len([e for e in seen[before_kill:] if e["type"] == "epoch"]) >= 1  # the grading went on after the kill
    assert "web1" in procs.procs and procs.procs["web1"].returncode == -signal.SIGKILL
