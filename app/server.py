"""The HTTP server `rnnlab serve` runs: uvicorn, with grading stopped at the first SIGTERM and header reads bounded."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from types import FrameType
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

_408_BODY = b"The request headers did not arrive in time.\n"
REQUEST_TIMEOUT_408 = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                       b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_408_BODY), _408_BODY))


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol plus a deadline for a request's line and headers. uvicorn has none: its keep-alive
    timer is cancelled by the first byte, so a client trickling one header byte at a time held a connection forever.
    The clock starts when the connection opens, or at the first byte of a later request on a kept-alive one."""

    header_timeout_s = 15.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._arm_header_timer()  # still reading a request line or headers (or between requests with bytes)
        else:
            self._disarm_header_timer()  # the headers are in: the body has its own deadline (app/routes/timeouts.py)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # An idle kept-alive connection is uvicorn's keep-alive timer's to close; our clock restarts at the next byte.
        self._disarm_header_timer()
        if self.conn.their_state is h11.IDLE and self.conn.trailing_data[0]:
            self._arm_header_timer()  # a pipelined request is already half here

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        started = bool(self.conn.trailing_data[0])
        if started:  # somebody is sending a request: tell them why it ends (a silent connection just closes)
            client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
            log.warning("%s did not send its request headers within %g s; answered 408", client,
                        self.header_timeout_s)
            self.transport.write(REQUEST_TIMEOUT_408)
        self.transport.close()


def header_timeout_protocol(timeout_s: float) -> type[H11Protocol]:
    """HeaderTimeoutProtocol with its deadline set: uvicorn builds protocols from a class and its own Config."""
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout_s": timeout_s})


class Server(uvicorn.Server):
    """uvicorn.Server that calls `on_exit` as soon as SIGTERM (or SIGINT) arrives, before the connections drain:
    uvicorn keeps the app running while open requests and event streams finish (up to ~25 s), and grading must not
    start new submissions in that time only to have them killed and redone at the next start."""

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        try:
            self.on_exit()
        except Exception:  # noqa: BLE001 - a failure here must not stop the server from shutting down
            log.exception("stopping the grading queue at the signal failed")
        super().handle_exit(sig, frame)
