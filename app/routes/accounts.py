"""Account pages: signup() signup.html, login() login.html, account() account.html; log out, download, delete."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from app.accounts import AccountError, EmailTaken, Role, User
from app.identity import COOKIE_NAME
from app.routes.csrf import verify_csrf
from app.routes.deps import AnonymousLearner, AppState, OptionalUser, State, delete_cookie, set_cookie
from app.schemas import AccountExport, SubmissionPublic
from app.sessions import SESSION_COOKIE

router = APIRouter(include_in_schema=False)
CSRF = [Depends(verify_csrf)]
FormText = Annotated[str, Form(max_length=4096)]
WRONG_LOGIN = "That email and password do not match an account. Check both and try again."


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site only (never //host or an absolute URL)."""
    # Browsers drop tabs and newlines inside URLs and read "\\" as "/": "/\t/evil.example" would become //host.
    if not target or not target.startswith("/") or any(c == "\\" or c.isspace() or ord(c) < 32 for c in target):
        return "/"
    return "/" if target.startswith("//") else target


def _form(request: Request, state: AppState, name: str, status: int = 200, headers: dict[str, str] | None = None,
          **context: Any) -> HTMLResponse:
    context.setdefault("email", "")
    context.setdefault("errors", {})
    context.setdefault("next", "/")
    return state.templates.TemplateResponse(request, f"{name}.html", context, status_code=status, headers=headers)


def _signed_in(request: Request, state: AppState, user: User, anonymous: int | None, target: str) -> Response:
    """Claim this browser's anonymous history, start a fresh session (never reuse one from before the log-in), and
    forget the anonymous cookie: after logging out, this browser starts a new, empty history."""
    state.accounts.claim(user, anonymous)
    state.sessions.revoke(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(safe_next(target), status_code=303)
    set_cookie(response, request, state.settings, SESSION_COOKIE, state.sessions.start(user),
               max_age=state.settings.session_days * 24 * 3600)
    delete_cookie(response, request, state.settings, COOKIE_NAME)
    return response


@router.get("/signup", response_class=HTMLResponse)
def signup(request: Request, state: State, user: OptionalUser, next: str = "/") -> Response:
    if user is not None:
        return RedirectResponse("/account", status_code=303)
    return _form(request, state, "signup", next=safe_next(next))


@router.post("/signup", dependencies=CSRF)
def create_account(request: Request, state: State, anonymous: AnonymousLearner, email: FormText = "",
                   password: FormText = "", next: FormText = "/") -> Response:
    try:
        user = state.accounts.create(email, password)
    except AccountError as exc:
        status = 409 if isinstance(exc, EmailTaken) else 422
        return _form(request, state, "signup", status, email=email.strip(), errors={exc.field: str(exc)},
                     next=safe_next(next))
    return _signed_in(request, state, user, anonymous, next)


@router.get("/login", response_class=HTMLResponse)
def login(request: Request, state: State, user: OptionalUser, next: str = "/") -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _form(request, state, "login", next=safe_next(next))


@router.post("/login", dependencies=CSRF)
def start_session(request: Request, state: State, anonymous: AnonymousLearner, email: FormText = "",
                  password: FormText = "", next: FormText = "/") -> Response:
    ip = request.client.host if request.client else "unknown"
    wait = state.throttle.retry_after(email, ip)
    if wait is not None:
        minutes = max(1, round(wait / 60))
        return _form(request, state, "login", 429, email=email.strip(), next=safe_next(next), errors={
            "form": f"Too many failed log-ins for this account or from this network. Wait about {minutes} "
                    f"minute{'s' if minutes != 1 else ''}, then try again."}, headers={"Retry-After": str(wait)})
    user = state.accounts.authenticate(email, password)
    if user is None:
        state.throttle.record_failure(email, ip)
        return _form(request, state, "login", 401, email=email.strip(), next=safe_next(next),
                     errors={"form": WRONG_LOGIN})
    state.throttle.forget(email)
    return _signed_in(request, state, user, anonymous, next)


@router.post("/logout", dependencies=CSRF)
def end_session(request: Request, state: State) -> Response:
    state.sessions.revoke(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/", status_code=303)
    delete_cookie(response, request, state.settings, SESSION_COOKIE)
    return response


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, state: State, user: OptionalUser) -> Response:
    if user is None:
        return RedirectResponse("/login?next=/account", status_code=303)
    return _account_page(request, state, user)


def _account_page(request: Request, state: AppState, user: User, status: int = 200,
                  errors: dict[str, str] | None = None) -> HTMLResponse:
    progress = state.store.progress(user.learner_id)
    return state.templates.TemplateResponse(request, "account.html", {
        "account": user, "attempts": sum(p.attempts for p in progress.values()),
        "passed": sum(p.passed for p in progress.values()), "errors": errors or {},
        "is_instructor": user.has_role(Role.instructor)}, status_code=status)


@router.get("/account/submissions.json")
def account_submissions(request: Request, state: State, user: OptionalUser) -> Response:
    """Everything this account submitted, with code and reports, as one JSON file."""
    if user is None:
        return JSONResponse({"detail": "Log in to download your submissions."}, status_code=401)
    export = AccountExport(email=user.email, role=user.role.value, created=user.created, exported=datetime.now(UTC),
                           submissions=[SubmissionPublic.from_submission(s)
                                        for s in state.store.all_submissions(user.learner_id)])
    return Response(export.model_dump_json(indent=2), media_type="application/json", headers={
        "Content-Disposition": 'attachment; filename="rnnlab-submissions.json"', "Cache-Control": "private, no-store"})


@router.post("/account/delete", dependencies=CSRF)
def delete_account(request: Request, state: State, user: OptionalUser, password: FormText = "",
                   confirm: FormText = "") -> Response:
    if user is None:
        return RedirectResponse("/login?next=/account", status_code=303)
    if user.has_password and not state.accounts.verify(user, password):
        return _account_page(request, state, user, 422, {"delete": "That is not your password; nothing was deleted."})
    if not user.has_password and not confirm:  # signed in through its course platform: no password to type
        return _account_page(request, state, user, 422, {"delete": "Tick the box to confirm; nothing was deleted."})
    if state.store.count_active(user.learner_id):
        return _account_page(request, state, user, 409, {
            "delete": "A submission of yours is still being graded; delete the account once it has finished."})
    state.accounts.delete(user)
    response = RedirectResponse("/?account=deleted", status_code=303)
    delete_cookie(response, request, state.settings, SESSION_COOKIE)
    delete_cookie(response, request, state.settings, COOKIE_NAME)
    return response
