"""POST /api/lessons/{slug}/checks: a Check of the editor's code (graders/check.py), answered when it is done. It is
never a submission: no row, no history, no gradebook, no attempt, no deadline."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from app.checks import RETRY_AFTER_S, CheckBusy, CheckRunner, ChecksFull
from app.routes.api import KnownLesson
from app.routes.csrf import verify_csrf
from app.routes.deps import Learner, State
from app.routes.submission_body import SUBMISSION_BODY_OPENAPI, read_submission
from app.schemas import ErrorPublic, SubmissionCreate
from graders.check import CheckReport

router = APIRouter()

WAIT_S = 150.0  # a check's two phases have 60 s wall-clock limits each, plus waiting for a worker
UNAVAILABLE = "Check is not available on this server: submit instead."
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorPublic}
                                           for code in (400, 403, 404, 413, 415, 422, 429, 503)}


def _runner(request: Request, state: State) -> CheckRunner:
    """This app's runner, made on the first check, on the pool its lifespan started. A web replica of the scaled
    layout has no pool (grading hosts have them, and checks are not routed to them): 503."""
    if state.pool is None or state.pool.closed:
        raise HTTPException(503, UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_S)})
    runner: CheckRunner | None = getattr(request.app.state, "checks", None)
    if runner is None or runner.pool is not state.pool:
        runner = CheckRunner(state.pool, state.settings.max_code_bytes)
        request.app.state.checks = runner
    return runner


@router.post("/api/lessons/{slug}/checks", response_model=CheckReport, tags=["checks"], responses=ERRORS,
             openapi_extra=SUBMISSION_BODY_OPENAPI, dependencies=[Depends(verify_csrf)])
async def create_check(slug: KnownLesson, body: Annotated[SubmissionCreate, Depends(read_submission)], state: State,
                       learner_id: Learner, request: Request, runner: Annotated[CheckRunner, Depends(_runner)],
                       response: Response) -> CheckReport:
    """Check code without submitting it: the contract and shape checks, then 2 epochs on a quarter of the public
    training data (the loss per epoch), or a function lesson's practice cases. Held-out data is never used, nothing
    is stored and it is not graded. Answers when the check is done (usually 5-20 s); one check at a time per
    browser (429 while one runs)."""
    lesson = state.course.lesson(slug)
    assert lesson is not None  # KnownLesson checked it
    try:
        future = runner.submit(learner_id, lesson, body.code, request.client.host if request.client else "")
    except CheckBusy as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": "5"}) from None
    except ChecksFull as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": str(RETRY_AFTER_S)}) from None
    waiting = asyncio.wrap_future(future)
    done, _ = await asyncio.wait({waiting}, timeout=WAIT_S)
    if not done or waiting.cancelled():
        future.cancel()  # still waiting for its turn: drop it (a running one ends by its own limits)
        raise HTTPException(503, "The check could not run in time: the server is busy. Try again, or submit.",
                            headers={"Retry-After": str(RETRY_AFTER_S)})
    response.headers["Cache-Control"] = "no-store"
    return waiting.result()
