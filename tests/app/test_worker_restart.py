"""`rnnlab worker` starts its host again after an unexpected error, but never once it has been asked to stop."""

from __future__ import annotations

from typing import Any

from app.cli_worker import serve_until_stopped


class FlakyHost:
    """run() fails `failures` times (PostgreSQL away), optionally after stop() was requested."""

    name = "h"

    def __init__(self, failures: int, stop_on: int | None = None) -> None:
        self.failures, self.stop_on, self.runs, self.stop_requested = failures, stop_on, 0, False

    async def run(self) -> None:
        self.runs += 1
        if self.stop_on == self.runs:
            self.stop_requested = True  # SIGTERM arrived while this run was failing
        if self.runs <= self.failures:
            raise ConnectionError("the database went away")


def test_an_unexpected_error_restarts_the_host() -> None:
    host: Any = FlakyHost(failures=2)
    serve_until_stopped(host, restart_s=0)
    assert host.runs == 3  # two failures, then a clean stop


def test_an_error_while_stopping_ends_the_host() -> None:
    host: Any = FlakyHost(failures=5, stop_on=2)
    serve_until_stopped(host, restart_s=0)
    assert host.runs == 2  # restarted after the first failure, not after the one during the stop
