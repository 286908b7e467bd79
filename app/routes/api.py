"""JSON + SSE routes: submit code, follow its grading live, list a learner's submissions, the starter and assets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, PlainTextResponse, StreamingResponse

from app.queue import GradingQueue, QueueFull, Subscription
from app.routes.csrf import verify_csrf
from app.routes.deps import Learner, OptionalLearner, Queue, State
from app.routes.submission_body import SUBMISSION_BODY_OPENAPI, read_submission
from app.schemas import (
    ErrorPublic,
    HealthPublic,
    SubmissionCreate,
    SubmissionCreated,
    SubmissionPublic,
    SubmissionSummary,
)
from app.store import Store, Submission

router = APIRouter()

SSE_HEARTBEAT_S = 15.0  # a comment line keeps proxies from closing an idle stream
SSE_MAX_S = 25.0  # streams end and the browser reconnects (getting the current state): shutdown never waits long
Slug = Annotated[str, Path(max_length=100)]
SubmissionId = Annotated[int, Path(ge=1, le=2**62, description="A submission id.")]
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorPublic} for code in (400, 404, 413, 415, 422, 429)}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {**ERRORS, 403: {"model": ErrorPublic}}


@router.get("/healthz", response_model=HealthPublic, tags=["ops"], responses={503: {"model": HealthPublic}})
@router.head("/healthz", include_in_schema=False)  # HEAD for probes; one operation in the OpenAPI document
def healthz(state: State, response: Response) -> HealthPublic:
    """Liveness for the container's HEALTHCHECK: the database answers and grading threads are alive."""
    counts = state.store.count_by_status()  # raises (-> 500) if the database is gone
    grading = state.queue is not None and state.queue.running
    if not grading:
        response.status_code = 503
    return HealthPublic(status="ok" if grading else "degraded", lessons=len(state.course.catalog),
                        queued=counts["queued"], running=counts["running"], grading=grading,
                        warm_workers=state.pool.idle_count() if state.pool else 0)


def known_lesson(slug: Slug, state: State) -> str:
    if state.course.lesson(slug) is None:
        raise HTTPException(404, f"There is no lesson called {slug!r}.")
    return slug


KnownLesson = Annotated[str, Depends(known_lesson)]


def _own_submission(store: Store, submission_id: int, learner_id: int | None) -> Submission:
    submission = store.get_submission(submission_id)
    # Someone else's submission is "not found" too: ids are guessable, code is private.
    if submission is None or submission.learner_id != learner_id:
        raise HTTPException(404, f"Submission {submission_id} was not found for this browser.")
    return submission


@router.post("/api/lessons/{slug}/submissions", status_code=202, response_model=SubmissionCreated,
             tags=["submissions"], responses=WRITE_ERRORS, openapi_extra=SUBMISSION_BODY_OPENAPI,
             dependencies=[Depends(verify_csrf)])
def create_submission(slug: KnownLesson, body: Annotated[SubmissionCreate, Depends(read_submission)],
                      state: State, queue: Queue, learner_id: Learner, response: Response) -> SubmissionCreated:
    """Queue code for grading. Answers 202 at once; grading takes 10-20 s. A browser that holds our cookies sends
    the page's CSRF token (`<meta name="csrf-token">`) in the X-CSRF-Token header, else 403."""
    # Parameter order matters: the lesson and the body are checked before a learner row is made.
    try:
        submission = queue.enqueue(learner_id, slug, body.code)
    except QueueFull as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    url = f"/api/submissions/{submission.id}"
    response.headers["Location"] = url
    return SubmissionCreated(id=submission.id, status=submission.status,
                             position=state.store.queue_position(submission.id), url=url, events_url=f"{url}/events")


@router.get("/api/lessons/{slug}/submissions", response_model=list[SubmissionSummary], tags=["submissions"],
            responses=ERRORS)
def list_submissions(slug: KnownLesson, state: State, learner_id: OptionalLearner) -> list[SubmissionSummary]:
    """This browser's submissions to a lesson, newest first (at most 50)."""
    if learner_id is None:
        return []
    return [SubmissionSummary.from_submission(s) for s in state.store.list_submissions(learner_id, slug)]


@router.get("/api/submissions/{submission_id}", response_model=SubmissionPublic, tags=["submissions"],
            responses=ERRORS)
def get_submission(submission_id: SubmissionId, state: State, learner_id: OptionalLearner) -> SubmissionPublic:
    """One submission with its code and, once graded, its full report."""
    submission = _own_submission(state.store, submission_id, learner_id)
    return SubmissionPublic.from_submission(submission, state.store.queue_position(submission_id))


def _sse(event: dict[str, Any]) -> str:
    return f"event: {event['event']}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n"


async def _event_stream(queue: GradingQueue, store: Store, sub: Subscription,
                        backlog: list[dict[str, Any]]) -> AsyncIterator[str]:
    async def enrich(event: dict[str, Any]) -> dict[str, Any]:
        if event["event"] != "report":
            return event
        submission = await run_in_threadpool(store.get_submission, sub.submission_id)
        assert submission is not None
        return {"event": "report", "submission": SubmissionPublic.from_submission(submission).model_dump(mode="json")}

    loop = asyncio.get_running_loop()
    try:
        yield "retry: 1000\n\n"
        for event in backlog:
            yield _sse(await enrich(event))
            if event["event"] == "report":
                return
        end = loop.time() + SSE_MAX_S
        while (left := end - loop.time()) > 0:
            live = await sub.get(min(SSE_HEARTBEAT_S, left))
            if live is None:
                yield ": keep-alive\n\n"
                continue
            yield _sse(await enrich(live))
            if live["event"] == "report":
                return
    finally:
        queue.unsubscribe(sub)


@router.get("/api/submissions/{submission_id}/events", tags=["submissions"], responses=ERRORS,
            response_class=StreamingResponse)
async def submission_events(submission_id: SubmissionId, state: State, queue: Queue,
                            learner_id: OptionalLearner) -> StreamingResponse:
    """Server-Sent Events: `queued` (position), `started`, `phase`, `epoch` (epoch, epochs, loss, val_loss), then
    `report` (the whole submission). A late listener first gets the current state. Streams end after ~25 s;
    EventSource reconnects by itself."""
    await run_in_threadpool(_own_submission, state.store, submission_id, learner_id)
    sub, backlog = await run_in_threadpool(queue.subscribe, submission_id, asyncio.get_running_loop())
    return StreamingResponse(_event_stream(queue, state.store, sub, backlog), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/lessons/{slug}/starter.py", response_class=PlainTextResponse, tags=["lessons"], responses=ERRORS)
def starter(slug: Slug, state: State) -> PlainTextResponse:
    """The code the editor starts with."""
    lesson = state.course.lesson(slug)
    if lesson is None:
        raise HTTPException(404, f"There is no lesson called {slug!r}.")
    return PlainTextResponse(lesson.starter, media_type="text/x-python; charset=utf-8",
                             headers={"Content-Disposition": f'inline; filename="{slug}-starter.py"'})


@router.get("/api/lessons/{slug}/solution", response_class=PlainTextResponse, tags=["lessons"],
            responses={**ERRORS, 403: {"model": ErrorPublic}})
def reference_solution(slug: KnownLesson, state: State, learner_id: OptionalLearner) -> PlainTextResponse:
    """The lesson's reference solution, to compare with your own: only once one of your submissions has passed.

    Before that it would be an answer to copy; after it, reading another way to do the same is how one learns.
    """
    progress = state.store.progress(learner_id).get(slug) if learner_id is not None else None
    if progress is None or not progress.passed:
        raise HTTPException(403, "The reference solution opens once one of your submissions to this lesson has "
                                 "passed: until then, the hints lead you there step by step.")
    lesson = state.course.lesson(slug)
    assert lesson is not None  # KnownLesson checked it
    return PlainTextResponse(lesson.solution_path.read_text(encoding="utf-8"),
                             media_type="text/x-python; charset=utf-8",
                             headers={"Content-Disposition": f'inline; filename="{slug}-reference.py"',
                                      "Cache-Control": "private, no-store"})


@router.get("/lessons/{slug}/assets/{name}", response_class=FileResponse, tags=["lessons"], responses=ERRORS)
def asset(slug: Slug, name: str, state: State) -> FileResponse:
    """An image from the lesson's folder. Nothing else in the folder (solution, grading spec, data) is reachable."""
    lesson = state.course.lesson(slug)
    path = lesson.asset_path(name) if lesson else None
    if path is None:
        raise HTTPException(404, f"Lesson {slug!r} has no image called {name!r}.")
    # An SVG opened directly must not run script in our origin.
    return FileResponse(path, headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                                       "Cache-Control": "public, max-age=3600"})

