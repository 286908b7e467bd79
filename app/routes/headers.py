"""Headers on every response: a Content-Security-Policy with no inline scripts, nosniff, no framing (except by the
registered course platforms when LTI is on), Server-Timing."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Scripts only from our own origin (no 'unsafe-inline', no eval). Styles allow inline attributes because
# CodeMirror and uPlot set element styles at run time; that cannot run code.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def framing_headers(ancestors: list[str]) -> dict[str, str]:
    """No framing at all, or (LTI) framing by our own pages and the registered course platforms' origins only."""
    if not ancestors:
        return {}
    policy = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'",
                                             "frame-ancestors 'self' " + " ".join(sorted(set(ancestors))))
    return {"Content-Security-Policy": policy, "X-Frame-Options": ""}


class SecurityHeaders:
    """Pure ASGI middleware (not BaseHTTPMiddleware, which would buffer the SSE stream). `frame_ancestors` names
    the origins allowed to frame our pages (the LMSs, when LTI is on); by default nobody may."""

    def __init__(self, app: ASGIApp, frame_ancestors: Callable[[], list[str]] | None = None) -> None:
        self.app = app
        self.frame_ancestors = frame_ancestors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                # Time to the first byte, as the browser's devtools and bench/web.py read it.
                headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
                framing = framing_headers(self.frame_ancestors()) if self.frame_ancestors else {}
                for name, value in {**SECURITY_HEADERS, **framing}.items():
                    if value:  # an empty value drops the header (X-Frame-Options cannot list origins)
                        headers.setdefault(name, value)
                path = scope.get("path", "")
                if path.startswith("/static/"):
                    # app.static_assets sets its own (a year for fingerprinted URLs); this covers its 404s.
                    headers.setdefault("Cache-Control", "public, no-cache")
                elif "Cache-Control" not in headers:
                    headers["Cache-Control"] = "no-store" if path.startswith("/api/") else "no-cache"
            await send(message)

        await self.app(scope, receive, send_with_headers)
