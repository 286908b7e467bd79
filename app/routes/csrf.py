"""CSRF: every browser gets a secret cookie (middleware); every state-changing request proves it read our page."""

from __future__ import annotations

from fastapi import HTTPException, Request
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.cookies import CookiePolicy
from app.csrf import CSRF_COOKIE, CSRF_FIELD, CSRF_HEADER, MAX_CHARS, CsrfTokens
from app.identity import COOKIE_MAX_AGE_S, COOKIE_NAME
from app.routes.deps import State
from app.sessions import SESSION_COOKIE

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
RELOAD = "Reload the page and try again (your browser must accept cookies from this site)."
# POSTs that are cross-site by design and authenticated by something other than our cookies: an LTI launch is
# posted by the LMS's page and proven by the platform's signed id_token plus its own state cookie (app/lti).
# tests/app/test_csrf.py requires verify_csrf on every other state-changing route.
CROSS_SITE_ROUTES = frozenset({"/lti/login", "/lti/launch"})


class CsrfCookie:
    """Pure ASGI middleware: a browser without a usable CSRF cookie gets one, and request.state.csrf_secret holds the
    secret the page's token is made from (the new one on a first visit)."""

    def __init__(self, app: ASGIApp, policy: CookiePolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith("/static/"):
            await self.app(scope, receive, send)
            return
        secret = HTTPConnection(scope).cookies.get(CSRF_COOKIE)
        fresh = not secret or len(secret) > MAX_CHARS
        if fresh:
            secret = CsrfTokens.new_secret()
        scope.setdefault("state", {})["csrf_secret"] = secret

        async def send_with_cookie(message: Message) -> None:
            if fresh and message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("set-cookie", self.policy.header(
                    CSRF_COOKIE, secret or "", COOKIE_MAX_AGE_S, https=scope.get("scheme") == "https"))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


async def verify_csrf(request: Request, state: State) -> None:
    """403 unless a state-changing request carries the token of its CSRF cookie, in the X-CSRF-Token header (the
    page's JS) or the csrf_token form field (the page's forms). An API call carrying none of our identity cookies
    has nothing a forged request could ride on, so it needs no token."""
    if request.method in SAFE_METHODS:
        return
    cookies = request.cookies
    if request.url.path.startswith("/api/") and COOKIE_NAME not in cookies and SESSION_COOKIE not in cookies:
        return
    token = request.headers.get(CSRF_HEADER) or None
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if token is None and content_type in FORM_TYPES:
        value = (await request.form()).get(CSRF_FIELD)
        token = value if isinstance(value, str) else None
    if not cookies.get(CSRF_COOKIE):
        raise HTTPException(403, f"Refused: this browser sent no CSRF cookie, so the request cannot be checked. {RELOAD}")
    if not token:
        raise HTTPException(403, f"Refused: the request carries no CSRF token (the {CSRF_HEADER} header or the "
                                 f"{CSRF_FIELD} form field), so it may come from another site. {RELOAD}")
    if not state.csrf.valid(cookies.get(CSRF_COOKIE), token):
        raise HTTPException(403, f"Refused: the CSRF token does not match this browser's (the page may be old, or "
                                 f"the request may come from another site). {RELOAD}")
