"""HTML routes, one per template: course() renders course.html, lesson() renders lesson.html, docs() docs.html."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from app.classlist import ClassList
from app.gradebook import LessonGrade
from app.routes.deps import OptionalLearner, State

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def course(request: Request, state: State, learner_id: OptionalLearner) -> HTMLResponse:
    progress = state.store.progress(learner_id) if learner_id is not None else {}
    sections = state.course.sections(progress, _grades(state, learner_id))
    return state.templates.TemplateResponse(request, "course.html", {"sections": sections,
                                                                     "score_label": state.course.score_label})


@router.get("/lessons/{slug}", response_class=HTMLResponse)
def lesson(request: Request, slug: str, state: State, learner_id: OptionalLearner) -> HTMLResponse:
    page = state.course.page(slug)
    if page is None:
        raise HTTPException(404, f"There is no lesson called {slug!r}.")
    return state.templates.TemplateResponse(request, "lesson.html", {
        "page": page, "max_code_bytes": state.settings.max_code_bytes, "deadline": state.course.deadline(slug),
        "grade": _grades(state, learner_id).get(slug), "score_label": state.course.score_label})


def _grades(state: State, learner_id: int | None) -> dict[str, LessonGrade]:
    """This learner's counted grades under the course file (deadlines, late penalty, best or last); none if anonymous
    and new."""
    if learner_id is None:
        return {}
    return state.course.grades(ClassList(state.store.database).attempts(learner_id).get(learner_id, {}))


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request, state: State) -> HTMLResponse:
    """Swagger UI from vendored files: FastAPI's default page loads a CDN and runs an inline script."""
    return state.templates.TemplateResponse(request, "docs.html", {})
