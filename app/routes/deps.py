"""Route dependencies: the app's shared state, the signed-in account, the learner behind a request, roles, cookies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response
from fastapi.templating import Jinja2Templates

from app.accounts import Accounts, Role, User
from app.config import Settings
from app.course import Course
from app.csrf import CSRF_COOKIE, CsrfTokens
from app.events import EventLog
from app.identity import COOKIE_MAX_AGE_S, COOKIE_NAME, LearnerCookie
from app.metrics import GradingMetrics
from app.queue import SubmissionQueue
from app.sessions import SESSION_COOKIE, Sessions
from app.store import Store
from app.throttle import LoginThrottle
from graders import WorkerPool


@dataclass
class AppState:
    """What create_app() builds once and every handler shares."""

    settings: Settings
    course: Course
    store: Store
    accounts: Accounts
    sessions: Sessions
    throttle: LoginThrottle
    csrf: CsrfTokens
    cookie: LearnerCookie
    templates: Jinja2Templates
    metrics: GradingMetrics
    events: EventLog
    pool: WorkerPool | None = None  # None on a web replica of the scaled layout: grading hosts have the pools
    queue: SubmissionQueue | None = None


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.rnnlab
    return state


State = Annotated[AppState, Depends(get_state)]


def get_queue(state: State) -> SubmissionQueue:
    if state.queue is None:  # only between create_app() and the lifespan's start
        raise HTTPException(503, "Grading is not running yet; try again in a moment.")
    return state.queue


# -- cookies: one place decides their flags
def set_cookie(response: Response, request: Request, settings: Settings, name: str, value: str,
               max_age: int | None = COOKIE_MAX_AGE_S) -> None:
    response.headers.append("set-cookie", settings.cookie_policy().header(name, value, max_age,
                                                                          https=request.url.scheme == "https"))


def delete_cookie(response: Response, request: Request, settings: Settings, name: str) -> None:
    response.headers.append("set-cookie", settings.cookie_policy().delete_header(name,
                                                                                 https=request.url.scheme == "https"))


# -- who is asking
def optional_user(request: Request, state: State) -> User | None:
    """The account of a live session cookie, or None. Remembered on request.state for the page templates."""
    user = state.sessions.user_for(request.cookies.get(SESSION_COOKIE))
    request.state.user = user
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]


def anonymous_learner(request: Request, state: State) -> int | None:
    """The learner named by a valid anonymous cookie, or None."""
    learner_id = state.cookie.loads(request.cookies.get(COOKIE_NAME))
    if learner_id is None or not state.store.learner_exists(learner_id):
        return None
    return learner_id


AnonymousLearner = Annotated[int | None, Depends(anonymous_learner)]


def optional_learner(user: OptionalUser, anonymous: AnonymousLearner) -> int | None:
    """The account's learner when signed in, else the anonymous cookie's (no row is made just for reading a page)."""
    return user.learner_id if user is not None else anonymous


def learner(request: Request, response: Response, state: State,
            existing: Annotated[int | None, Depends(optional_learner)]) -> int:
    """The learner, created (with a fresh signed cookie) on an anonymous browser's first submission."""
    if existing is not None:
        return existing
    learner_id = state.store.create_learner()
    set_cookie(response, request, state.settings, COOKIE_NAME, state.cookie.dumps(learner_id))
    return learner_id


def require_role(minimum: Role) -> Callable[..., User]:
    """A dependency admitting accounts of `minimum` role or above (admin > instructor > learner): 401 when nobody is
    signed in, 403 for a lower role. Use as `Annotated[User, Depends(require_role(Role.instructor))]`."""

    def signed_in_with_role(user: OptionalUser) -> User:
        if user is None:
            raise HTTPException(401, f"Log in with an {minimum.value} account to see this page.")
        if not user.has_role(minimum):
            raise HTTPException(403, f"This page is for {minimum.value}s; your account is a {user.role.value}.")
        return user

    return signed_in_with_role


def page_context(request: Request) -> dict[str, Any]:
    """What every template sees: the signed-in account (or None) and the page's CSRF token."""
    state: AppState = request.app.state.rnnlab
    # Pages resolved the account already; an error page raised before that looks it up itself.
    if hasattr(request.state, "user"):
        user = request.state.user
    else:
        user = state.sessions.user_for(request.cookies.get(SESSION_COOKIE))
    secret = getattr(request.state, "csrf_secret", None) or request.cookies.get(CSRF_COOKIE) or ""
    return {"user": user, "csrf_token": state.csrf.token_for(secret) if secret else ""}


OptionalLearner = Annotated[int | None, Depends(optional_learner)]
Learner = Annotated[int, Depends(learner)]
Queue = Annotated[SubmissionQueue, Depends(get_queue)]
Instructor = Annotated[User, Depends(require_role(Role.instructor))]
