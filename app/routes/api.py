"""JSON + SSE routes: submit code, follow its grading live, list a learner's submissions, the starter and assets."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, PlainTextResponse, StreamingResponse

from app.comparison import Comparison
from app.events import BellListener, EventLog, StoredEvent
from app.queue import QueueFull
from app.routes.csrf import verify_csrf
from app.routes.deps import Learner, OptionalLearner, Queue, State
from app.routes.submission_body import SUBMISSION_BODY_OPENAPI, read_submission
from app.schemas import (
    ErrorPublic,
    SubmissionCreate,
    SubmissionCreated,
    SubmissionPublic,
    SubmissionSummary,
    WaitPublic,
)
from app.store import Store, Submission

router = APIRouter()

SSE_HEARTBEAT_S = 15.0  # a comment line keeps proxies from closing an idle stream
SSE_MAX_S = 25.0  # streams end and the browser reconnects (getting the current state): shutdown never waits long
LOG_PAGE = 500  # rows read per query: a long backlog streams in pages
SSE_POLL_S = 3.0  # re-read the log even without a ring: a lost notification delays an event by this much, no more
Slug = Annotated[str, Path(max_length=100)]
SubmissionId = Annotated[int, Path(ge=1, le=2**62, description="A submission id.")]
# One event of the stream, as OpenAPI 3.2 documents an item of text/event-stream: `data` is the event as JSON, its
# `event` field the same as the SSE event name.
SSE_EVENT: dict[str, Any] = {
    "type": "object", "required": ["event", "data"],
    "properties": {"event": {"type": "string", "description": "queued, started, phase, epoch, report, ..."},
                   "data": {"type": "string", "contentMediaType": "application/json"},
                   "id": {"type": "string", "description": "Logged events only: send it back as Last-Event-ID."},
                   "retry": {"type": "integer", "minimum": 0}}}
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorPublic} for code in (400, 404, 413, 415, 422, 429)}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {**ERRORS, 403: {"model": ErrorPublic}}


def python_source(description: str) -> dict[int | str, dict[str, Any]]:
    """A 200 of Python source, documented as served (text/x-python). The route's response_class stays the plain
    Response: a PlainTextResponse class would also document the JSON error answers as text/plain."""
    return {200: {"description": description, "content": {"text/x-python": {"schema": {"type": "string"}}}}}


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
                             position=state.store.queue_position(submission.id),
                             estimate=_estimate(state.store, submission.id, queue), url=url, events_url=f"{url}/events")


def _estimate(store: Store, submission_id: int, queue: object) -> WaitPublic | None:
    """The embedded queue knows how many gradings run at once; on the scaled layout the hosts do (None)."""
    found = store.wait_estimate(submission_id, getattr(queue, "concurrent_jobs", None))
    return None if found is None else WaitPublic(**dataclasses.asdict(found))


@router.get("/api/lessons/{slug}/submissions", response_model=list[SubmissionSummary], tags=["submissions"],
            responses=ERRORS)
def list_submissions(slug: KnownLesson, state: State, learner_id: OptionalLearner) -> list[SubmissionSummary]:
    """This browser's submissions to a lesson, newest first (at most 50)."""
    if learner_id is None:
        return []
    return [SubmissionSummary.from_submission(s) for s in state.store.list_submissions(learner_id, slug)]


@router.get("/api/lessons/{slug}/comparison", response_model=Comparison, tags=["submissions"], responses=ERRORS)
def comparison(slug: KnownLesson, state: State, learner_id: OptionalLearner) -> Comparison:
    """This browser's graded submissions to a lesson side by side, newest first (at most 50), with each column's
    best value. Any lesson answers; the lesson page shows the table where the front matter says `compare: true`."""
    submissions = state.store.list_submissions(learner_id, slug) if learner_id is not None else []
    return Comparison.from_submissions(submissions)


@router.get("/api/submissions/{submission_id}", response_model=SubmissionPublic, tags=["submissions"],
            responses=ERRORS)
def get_submission(submission_id: SubmissionId, state: State, learner_id: OptionalLearner) -> SubmissionPublic:
    """One submission with its code and, once graded, its full report."""
    submission = _own_submission(state.store, submission_id, learner_id)
    return SubmissionPublic.from_submission(submission, state.store.queue_position(submission_id))


def _sse(event: dict[str, Any], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event['event']}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n"


async def _event_stream(events: EventLog, store: Store, submission_id: int, last_id: int,
                        slots: int | None = None) -> AsyncIterator[str]:
    """Rows of the live-event log after `last_id`, each with its id (a reconnecting browser resumes there), woken by
    the bell and re-read every SSE_POLL_S anyway; `queued` positions (not logged: they change as others finish) are
    sent when they change. Ends after the report or SSE_MAX_S."""
    end = asyncio.get_running_loop().time() + SSE_MAX_S
    listener = events.bell.listen(submission_id)
    try:
        yield "retry: 1000\n\n"
        async for chunk in _stream_rows(events, store, submission_id, last_id, listener, end, slots):
            yield chunk
    finally:
        listener.close()


async def _stream_rows(events: EventLog, store: Store, submission_id: int, last_id: int, listener: BellListener,
                       end: float, slots: int | None = None) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    last_position: int | None = None
    last_sent = loop.time()
    while True:
        listener.clear()
        rows = await run_in_threadpool(events.after, submission_id, last_id, LOG_PAGE)
        for row in rows:
            last_id = row.id
            if row.kind == "report":
                submission = await run_in_threadpool(store.get_submission, submission_id)
                if submission is None:
                    return
                body = {"event": "report", "submission": SubmissionPublic.from_submission(submission).model_dump(
                    mode="json")}
                yield _sse(body, row.id)
                return
            yield _sse(row.data, row.id)
            last_sent = loop.time()
        if not rows:
            position = await run_in_threadpool(store.queue_position, submission_id)
            if position is not None and position != last_position:
                last_position = position
                estimate = await run_in_threadpool(store.wait_estimate, submission_id, slots)
                yield _sse({"event": "queued", "position": position,
                            "estimate": None if estimate is None else dataclasses.asdict(estimate)})
                last_sent = loop.time()
            elif position is None:
                done = await run_in_threadpool(store.get_submission, submission_id)
                if done is not None and done.done:
                    since: list[StoredEvent] = await run_in_threadpool(events.after, submission_id, last_id, 1)
                    if since:
                        continue  # it finished since the read above: its logged report (with its id) is read next
                if done is not None and done.done:  # graded without a logged report (before the log, or a regrade)
                    yield _sse({"event": "report", "submission": SubmissionPublic.from_submission(done).model_dump(
                        mode="json")})
                    return
        left = end - loop.time()
        if left <= 0:
            return
        if loop.time() - last_sent >= SSE_HEARTBEAT_S:
            yield ": keep-alive\n\n"
            last_sent = loop.time()
        if len(rows) < LOG_PAGE:
            await listener.wait(min(SSE_POLL_S, left))


def _last_event_id(header: str | None) -> int:
    """The browser's Last-Event-ID: our ids are positive integers; anything else means start from the beginning."""
    if header and header.strip().isdigit() and len(header.strip()) <= 18:
        return int(header.strip())
    return 0


@router.get("/api/submissions/{submission_id}/events", tags=["submissions"], response_class=StreamingResponse,
            responses={**ERRORS, 200: {"description": "The grading's events as a Server-Sent Events stream.",
                                       "content": {"text/event-stream": {"itemSchema": SSE_EVENT}}}})
async def submission_events(submission_id: SubmissionId, state: State, learner_id: OptionalLearner,
                            last_event_id: Annotated[str | None, Header(include_in_schema=False)] = None
                            ) -> StreamingResponse:
    """Server-Sent Events: `queued` (position), `started` (attempt), `phase`, `epoch` (epoch, epochs, loss,
    val_loss), then `report` (the whole submission). Each logged event has an `id`; a reconnecting EventSource sends
    it back as Last-Event-ID and resumes after it, on any replica. Streams end after ~25 s; EventSource reconnects."""
    await run_in_threadpool(_own_submission, state.store, submission_id, learner_id)
    slots = getattr(state.queue, "concurrent_jobs", None)
    return StreamingResponse(_event_stream(state.events, state.store, submission_id, _last_event_id(last_event_id),
                                           slots),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/lessons/{slug}/starter.py", response_class=Response, tags=["lessons"],
            responses={**ERRORS, **python_source("The starter module.")})
def starter(slug: Slug, state: State) -> PlainTextResponse:
    """The code the editor starts with."""
    lesson = state.course.lesson(slug)
    if lesson is None:
        raise HTTPException(404, f"There is no lesson called {slug!r}.")
    return PlainTextResponse(lesson.starter, media_type="text/x-python; charset=utf-8",
                             headers={"Content-Disposition": f'inline; filename="{slug}-starter.py"'})


@router.get("/api/lessons/{slug}/solution", response_class=Response, tags=["lessons"],
            responses={**ERRORS, 403: {"model": ErrorPublic}, **python_source("The reference solution.")})
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

