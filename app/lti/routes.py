"""The LTI HTTP endpoints: GET/POST /lti/login, POST /lti/launch, GET /lti/jwks.json. Maps LTI errors to 4xx/502."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from app.lti.claims import Launch
from app.lti.commands import canvas_config
from app.lti.errors import LaunchRefused, LoginRefused, PlatformUnavailable, StateCookieMissing
from app.lti.launch import STATE_LIFETIME, LoginRequest
from app.lti.tool import LtiTool

log = logging.getLogger(__name__)

# One cookie per login, so two lessons on one LMS page launch side by side. Over https the name carries the
# __Host- prefix: the browser then refuses the cookie from a sibling subdomain (no cookie tossing of a state).
STATE_COOKIE_PREFIX = "lti_state_"
HOST_PREFIX = "__Host-"
STATE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
# Our own small pages may show inside the LMS frame; they hold no action a clickjacker could use.
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *"


class SessionStarter(Protocol):
    """The integrator's sessions (app.sessions): log the account in on the launch's redirect."""

    def start_session(self, account_key: str, launch: Launch, response: Response) -> None:
        """Set the session cookie on `response`. Inside an LMS iframe it must be `SameSite=None; Secure;
        Partitioned` or the browser will not send it back on the lesson page (docs/lti.md)."""
        ...


def state_cookie(name: str, value: str, max_age: int, secure: bool) -> str:
    """The Set-Cookie value, written out because Starlette (on Python < 3.14) cannot mark a cookie Partitioned.
    Names and values are base64url, so nothing needs quoting."""
    if not secure:
        return f"{name}={value}; HttpOnly; Max-Age={max_age}; Path=/lti/; SameSite=Lax"
    return f"{name}={value}; HttpOnly; Max-Age={max_age}; Path=/; SameSite=None; Secure; Partitioned"


def _page(status: int, title: str, message: str, code: str, link: str | None = None) -> HTMLResponse:
    extra = (f'<p><a href="{html.escape(link)}" target="_blank" rel="noopener">Open RNN Lab in a new window</a></p>'
             if link else "")
    body = (f"<!doctype html><html lang=en><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>{extra}"
            f"<p><small>LTI error: {html.escape(code)}</small></p></html>")
    return HTMLResponse(body, status_code=status, headers={"Content-Security-Policy": PAGE_CSP,
                                                           "Cache-Control": "no-store", "X-LTI-Error": code})


async def _params(request: Request) -> dict[str, Any]:
    if request.method == "POST":
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    return dict(request.query_params)


def make_router(tool: LtiTool, sessions: SessionStarter,
                admit: Callable[[str], int | None] | None = None) -> APIRouter:
    """`admit(client address)` is None to let a login start, else the seconds to wait: each login stores a row
    for ten minutes before anyone is known, so the integrator bounds them (app.throttle.RequestRate)."""
    router = APIRouter(prefix="/lti", tags=["lti"])
    secure = tool.secure_cookies
    # __Host- cookies must be Secure with Path=/; on a loopback http tool URL (tests) a plain, Lax cookie it is.
    cookie_prefix = HOST_PREFIX + STATE_COOKIE_PREFIX if secure else STATE_COOKIE_PREFIX

    @router.api_route("/login", methods=["GET", "POST"], include_in_schema=False)
    async def lti_login(request: Request) -> Response:
        try:
            login = LoginRequest.model_validate(await _params(request))
        except ValidationError as exc:
            wrong = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
            return _page(400, "Cannot start the launch", f"The login request is not usable ({wrong}).", "bad_login")
        wait = admit(request.client.host if request.client else "unknown") if admit else None
        if wait is not None:
            refused = _page(429, "Too many launches", "Too many launches were started from this network in the last "
                            "few minutes. Wait a minute, then open the activity again.", "rate_limited")
            refused.headers["Retry-After"] = str(wait)
            return refused
        try:
            redirect = await run_in_threadpool(tool.validator.begin_login, login)
        except LoginRefused as exc:
            return _page(400, "Cannot start the launch", exc.message, exc.code)
        response = RedirectResponse(redirect.url, status_code=302)
        # The launch POST comes back from the LMS's page: a cross-site request that only carries SameSite=None
        # cookies. Partitioned (CHIPS) keeps it working where third-party cookies are blocked; Secure is required
        # by both (dropped only for a loopback http tool URL, where tests run).
        response.headers.append("set-cookie", state_cookie(cookie_prefix + redirect.state, redirect.state,
                                                           int(STATE_LIFETIME.total_seconds()), secure))
        response.headers["Cache-Control"] = "no-store"
        return response

    @router.post("/launch", include_in_schema=False)
    async def lti_launch(request: Request) -> Response:
        form = await _params(request)
        # Validation and account mapping touch the database and the platform's JWKS: keep them off the loop.
        return await run_in_threadpool(_launch, form, request.cookies)

    def _launch(form: dict[str, Any], cookies: dict[str, str]) -> Response:
        state = form.get("state")
        cookie = cookies.get(cookie_prefix + state) if state and STATE_PATTERN.match(state) else None
        try:
            launch = tool.validator.validate(form.get("id_token"), state, cookie, tool.relaunch_url)
        except StateCookieMissing as exc:
            return _page(400, "Open RNN Lab in a new window", exc.message, exc.code, exc.relaunch_url)
        except LaunchRefused as exc:
            log.info("LTI launch refused (%s): %s", exc.code, exc.message)
            return _page(400, "This launch was refused", exc.message, exc.code)
        except PlatformUnavailable as exc:
            log.warning("LTI launch: %s", exc.message)
            return _page(502, "The course platform did not answer", exc.message, exc.code)
        linked = tool.links.account_key(launch.issuer, launch.subject)
        account_key = tool.accounts.resolve_account(launch, linked)
        link_id = tool.links.link(launch.issuer, launch.subject, account_key, tool.now())
        tool.grade_targets.record_launch(launch, link_id, tool.lessons.lesson_title(launch.lesson))
        response = RedirectResponse(tool.lesson_url(launch.lesson), status_code=303)
        sessions.start_session(account_key, launch, response)
        if state:
            response.headers.append("set-cookie", state_cookie(cookie_prefix + state, "", 0, secure))
        return response

    @router.get("/jwks.json", include_in_schema=False)
    def lti_jwks() -> JSONResponse:
        # Short cache: after a rotation platforms pick up the new key within minutes.
        return JSONResponse(tool.keys.jwks(), headers={"Cache-Control": "public, max-age=300"})

    @router.get("/canvas.json", include_in_schema=False)
    def lti_canvas_config() -> JSONResponse:
        return JSONResponse(canvas_config(tool.tool_url))

    return router
