"""The request-body deadline: an upload that stalls is answered 408 instead of holding a handler forever."""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)


class BodyTimedOut(Exception):
    """Raised into the app from receive(): the client stopped sending the body it announced."""


class BodyTimeout:
    """ASGI middleware: the whole body must arrive within `timeout_s` of the first read of it. After the body (and
    for bodiless requests) receive() is passed through untouched: a streaming response waits on it for a disconnect
    legitimately. uvicorn cannot do this itself; header reads are bounded in app/server.py."""

    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        body_done = False
        timed_out = False
        answered = False

        async def timed_receive() -> Message:
            nonlocal deadline, body_done, timed_out
            if body_done:
                return await receive()
            if deadline is None:
                deadline = loop.time() + self.timeout_s
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                timed_out = True
                raise BodyTimedOut from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal answered
            if timed_out:  # whatever the app makes of BodyTimedOut (a 400, a 500 page), the answer is ours
                return
            if message["type"] == "http.response.start":
                answered = True
            await send(message)

        try:
            await self.app(scope, timed_receive, guarded_send)
        except BodyTimedOut:
            pass
        except Exception:
            if not timed_out:
                raise
        if timed_out:
            log.warning("%s %s: the request body did not arrive within %g s; answered 408", scope.get("method"),
                        scope.get("path"), self.timeout_s)
            if not answered:
                await _answer_408(send, self.timeout_s)


async def _answer_408(send: Send, timeout_s: float) -> None:
    body = json.dumps({"detail": f"The request body did not arrive within {timeout_s:g} s."}).encode()
    # Connection: close, because the rest of the body may still be on its way and would be read as a next request.
    await send({"type": "http.response.start", "status": 408,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
