"""Route dependencies: the app's shared state, and the learner behind a request's signed cookie."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response
from fastapi.templating import Jinja2Templates

from app.config import Settings
from app.course import Course
from app.identity import COOKIE_MAX_AGE_S, COOKIE_NAME, LearnerCookie
from app.queue import GradingQueue
from app.store import Store
from graders import WorkerPool


@dataclass
class AppState:
    """What create_app() builds once and every handler shares."""

    settings: Settings
    course: Course
    store: Store
    cookie: LearnerCookie
    templates: Jinja2Templates
    pool: WorkerPool | None = None
    queue: GradingQueue | None = None


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.rnnlab
    return state


State = Annotated[AppState, Depends(get_state)]


def get_queue(state: State) -> GradingQueue:
    if state.queue is None:  # only between create_app() and the lifespan's start
        raise HTTPException(503, "Grading is not running yet; try again in a moment.")
    return state.queue


def optional_learner(request: Request, state: State) -> int | None:
    """The learner named by a valid cookie, or None (no row is made just for reading a page)."""
    learner_id = state.cookie.loads(request.cookies.get(COOKIE_NAME))
    if learner_id is None or not state.store.learner_exists(learner_id):
        return None
    return learner_id


def learner(request: Request, response: Response, state: State,
            existing: Annotated[int | None, Depends(optional_learner)]) -> int:
    """The learner, created (with a fresh signed cookie) on their first submission."""
    if existing is not None:
        return existing
    learner_id = state.store.create_learner()
    response.set_cookie(COOKIE_NAME, state.cookie.dumps(learner_id), max_age=COOKIE_MAX_AGE_S, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https", path="/")
    return learner_id


OptionalLearner = Annotated[int | None, Depends(optional_learner)]
Learner = Annotated[int, Depends(learner)]
Queue = Annotated[GradingQueue, Depends(get_queue)]
