"""POST /api/lessons/{slug}/checks: a Check of the editor's code (graders/check.py), answered when it is done. It is
never a submission: no submission row, no history, no gradebook, no attempt, no deadline. Embedded, this process's
pool runs it; on the scaled layout a grading host does, and the code waits in `check_runs` only until it answers."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from app.catalog import Lesson
from app.check_runs import CheckRuns
from app.checks import RETRY_AFTER_S, CheckBusy, CheckRunner, ChecksFull, client_network
from app.jobs.queue import JobQueue, defer_check
from app.routes.api import KnownLesson
from app.routes.csrf import verify_csrf
from app.routes.deps import Learner, State
from app.routes.submission_body import SUBMISSION_BODY_OPENAPI, read_submission
from app.schemas import ErrorPublic, SubmissionCreate
from graders.check import CheckReport

router = APIRouter()

WAIT_S = 150.0  # a check's two phases have 60 s wall-clock limits each, plus waiting for a worker
POLL_S = 0.3  # how often a replica looks for a grading host's answer
UNAVAILABLE = "Check is not available right now: try again in a moment, or submit instead."
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorPublic}
                                           for code in (400, 403, 404, 413, 415, 422, 429, 503)}


def _runner(request: Request, state: State) -> CheckRunner:
    """This app's runner, made on the first check, on the pool its lifespan started."""
    assert state.pool is not None
    runner: CheckRunner | None = getattr(request.app.state, "checks", None)
    if runner is None or runner.pool is not state.pool:
        runner = CheckRunner(state.pool, state.settings.max_code_bytes)
        request.app.state.checks = runner
    return runner


@router.post("/api/lessons/{slug}/checks", response_model=CheckReport, tags=["checks"], responses=ERRORS,
             openapi_extra=SUBMISSION_BODY_OPENAPI, dependencies=[Depends(verify_csrf)])
async def create_check(slug: KnownLesson, body: Annotated[SubmissionCreate, Depends(read_submission)], state: State,
                       learner_id: Learner, request: Request, response: Response) -> CheckReport:
    """Check code without submitting it: the contract and shape checks, then 2 epochs on a quarter of the public
    training data (the loss per epoch), or a function lesson's practice cases. Held-out data is never used, nothing
    is kept and it is not graded. Answers when the check is done (usually 5-20 s); one check at a time per
    learner (429 while one runs)."""
    lesson = state.course.lesson(slug)
    assert lesson is not None  # KnownLesson checked it
    address = client_network(request.client.host) if request.client else ""
    try:
        if state.pool is not None and not state.pool.closed:
            report = await _check_here(_runner(request, state), learner_id, address, lesson, body.code)
        elif isinstance(state.queue, JobQueue):  # a web replica of the scaled layout: a grading host runs it
            report = await _check_on_a_grading_host(state.queue, learner_id, address, slug, body.code)
        else:
            raise HTTPException(503, UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_S)})
    except CheckBusy as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": "5"}) from None
    except ChecksFull as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": str(RETRY_AFTER_S)}) from None
    if report is None:
        raise HTTPException(503, "The check could not run in time: the server is busy. Try again, or submit.",
                            headers={"Retry-After": str(RETRY_AFTER_S)})
    response.headers["Cache-Control"] = "no-store"
    return report


async def _check_here(runner: CheckRunner, learner_id: int, address: str, lesson: Lesson,
                      code: str) -> CheckReport | None:
    """The embedded layout: this process's pool."""
    future = runner.submit(learner_id, lesson, code, address)
    waiting = asyncio.wrap_future(future)
    done, _ = await asyncio.wait({waiting}, timeout=WAIT_S)
    if not done or waiting.cancelled():
        future.cancel()  # still waiting for its turn: drop it (a running one ends by its own limits)
        return None
    return waiting.result()


async def _check_on_a_grading_host(queue: JobQueue, learner_id: int, address: str, slug: str,
                                   code: str) -> CheckReport | None:
    """The scaled layout: the run waits in the database for a grading host; this replica polls for the report (a
    primary-key read every POLL_S) and deletes the row when it has it, or gives up."""
    runs = CheckRuns(queue.store.database)
    run_id = await asyncio.to_thread(runs.create, learner_id, address, slug, code)
    try:
        await asyncio.to_thread(defer_check, queue.app, run_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_S
        while loop.time() < deadline:
            answer = await asyncio.to_thread(runs.answer, run_id)
            if answer is not None:
                return CheckReport.model_validate(answer)
            await asyncio.sleep(POLL_S)
        return None
    finally:
        await asyncio.to_thread(runs.drop, run_id)
