"""The instructor's dashboard pages, instructors only: instructor() renders instructor.html (the learners × lessons
matrix and lesson summaries), instructor_learner() instructor_learner.html, instructor_submission()
instructor_submission.html, instructor_lesson() instructor_lesson.html (with regrade); the two CSV exports.

Every page reads the same functions as the JSON API (app/routes/instructor_api.py), which this router includes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.dashboard import MatrixQuery, SortOrder, gradebook_rows, select_page
from app.gradebook import GradeStatus
from app.gradebook_csv import LessonColumn, canvas_csv, wide_csv
from app.routes import instructor_api
from app.routes.csrf import verify_csrf
from app.routes.deps import Instructor, Queue, State
from app.routes.instructor_api import (
    GUARD,
    LearnerId,
    Slug,
    SubmissionId,
    class_rows,
    known_lesson,
    learner_detail,
    lesson_columns,
    lesson_summaries,
    start_regrade,
    submission_detail,
)

router = APIRouter(dependencies=GUARD)
router.include_router(instructor_api.router)
STATUSES = list(GradeStatus)


@router.get("/instructor", response_class=HTMLResponse, include_in_schema=False)
def instructor(request: Request, state: State, user: Instructor,
               query: Annotated[MatrixQuery, Query()]) -> HTMLResponse:
    rows = class_rows(state)
    page = select_page(rows, query)
    return _render(state, request, "instructor.html", {
        "account": user, "page": page, "lessons": lesson_columns(state), "summaries": lesson_summaries(state, rows),
        "statuses": STATUSES, "query": query, "course_title": state.course.course_file.title,
        "sort_link": lambda key: _sort_link(query, key), "aria_sort": lambda key: _aria_sort(query, key),
        "page_link": lambda number: _link(query, page=number)})


@router.get("/instructor/learners/{learner_id}", response_class=HTMLResponse, include_in_schema=False)
def instructor_learner(request: Request, state: State, learner_id: LearnerId) -> HTMLResponse:
    return _render(state, request, "instructor_learner.html", {
        "detail": learner_detail(state, learner_id), "lessons": {c.slug: c for c in lesson_columns(state)}})


@router.get("/instructor/submissions/{submission_id}", response_class=HTMLResponse, include_in_schema=False)
def instructor_submission(request: Request, state: State, submission_id: SubmissionId) -> HTMLResponse:
    detail = submission_detail(state, submission_id)
    return _render(state, request, "instructor_submission.html", {
        "detail": detail, "lesson": known_lesson(state, detail.lesson) if state.course.lesson(detail.lesson) else None})


@router.get("/instructor/lessons/{slug}", response_class=HTMLResponse, include_in_schema=False)
def instructor_lesson(request: Request, state: State, slug: Slug) -> HTMLResponse:
    known_lesson(state, slug)
    summary = next(s for s in lesson_summaries(state, class_rows(state)) if s.lesson == slug)
    return _render(state, request, "instructor_lesson.html", {"summary": summary})


@router.post("/instructor/lessons/{slug}/regrade", include_in_schema=False, dependencies=[Depends(verify_csrf)])
def instructor_regrade(state: State, queue: Queue, user: Instructor, slug: Slug) -> Response:
    start_regrade(state, queue, slug, user.email)  # 409 (a friendly page) while one is running
    return RedirectResponse(f"/instructor/lessons/{slug}", status_code=303)


@router.get("/instructor/gradebook.csv", include_in_schema=False)
def instructor_gradebook_csv(state: State) -> Response:
    """Every learner (no paging): learner, email, then per lesson score, status, attempts, last submission, late."""
    text = wide_csv(gradebook_rows(class_rows(state)), _csv_columns(state), state.course.course_file.zone)
    return _csv(text, "gradebook")


@router.get("/instructor/gradebook-canvas.csv", include_in_schema=False)
def instructor_gradebook_canvas_csv(state: State) -> Response:
    """The layout Canvas's Grades > Import reads: one assignment column per lesson, scores out of 100."""
    return _csv(canvas_csv(gradebook_rows(class_rows(state)), _csv_columns(state)), "gradebook-canvas")


def _render(state: State, request: Request, template: str, context: dict[str, Any]) -> HTMLResponse:
    """A dashboard page; its times are shown on the course's wall clock (the course file's time zone)."""
    zone = state.course.course_file.zone

    def when(moment: datetime, fmt: str) -> str:
        return moment.astimezone(zone).strftime(fmt)

    return state.templates.TemplateResponse(request, template, {**context, "when": when})


def _csv_columns(state: State) -> list[LessonColumn]:
    return [LessonColumn(slug=c.slug, title=c.title) for c in lesson_columns(state)]


def _csv(text: str, name: str) -> Response:
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="rnnlab-{name}-{stamp}.csv"'})


# -- the matrix's links: every control is a plain link or GET form, so the page works without JavaScript
def _link(query: MatrixQuery, **changes: object) -> str:
    values = query.model_copy(update=changes).model_dump(exclude_defaults=True)
    pairs = {k: (v.value if hasattr(v, "value") else ("true" if v is True else v)) for k, v in values.items()}
    return "/instructor" + ("?" + urlencode(pairs) if pairs else "")


def _sort_link(query: MatrixQuery, key: str) -> str:
    """Sorting by the current column flips its order; another column starts ascending (descending for scores)."""
    if query.sort == key:
        order = SortOrder.asc if query.order is SortOrder.desc else SortOrder.desc
    else:
        order = SortOrder.asc if key == "name" else SortOrder.desc
    return _link(query, sort=key, order=order, page=1)


def _aria_sort(query: MatrixQuery, key: str) -> str:
    if query.sort != key:
        return "none"
    return "ascending" if query.order is SortOrder.asc else "descending"
