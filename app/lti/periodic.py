"""A step run every few seconds on a daemon thread: the outbox's deliveries and the grade sync. No web framework."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    """Runs `step` every `interval_s` seconds until `stop()`. A failing round is logged and the next one tries again:
    the work waits in the database, so neither a bug nor a stop loses anything."""

    def __init__(self, step: Callable[[], object], interval_s: float, name: str) -> None:
        self.step, self.interval_s, self.name = step, interval_s, name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # noqa: BLE001 - a bug here must not end the thread
                log.exception("%s failed; retrying in %.0f s", self.name, self.interval_s)
            self._stop.wait(self.interval_s)
