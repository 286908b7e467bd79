"""HTML routes, one per template: course() renders course.html, lesson() renders lesson.html, docs() docs.html."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from app.routes.deps import OptionalLearner, State

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def course(request: Request, state: State, learner_id: OptionalLearner) -> HTMLResponse:
    progress = state.store.progress(learner_id) if learner_id is not None else {}
    entries = state.course.entries(progress)
    return state.templates.TemplateResponse(request, "course.html", {"entries": entries})


@router.get("/lessons/{slug}", response_class=HTMLResponse)
def lesson(request: Request, slug: str, state: State) -> HTMLResponse:
    page = state.course.page(slug)
    if page is None:
        raise HTTPException(404, f"There is no lesson called {slug!r}.")
    return state.templates.TemplateResponse(request, "lesson.html", {
        "page": page, "max_code_bytes": state.settings.max_code_bytes})


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request, state: State) -> HTMLResponse:
    """Swagger UI from vendored files: FastAPI's default page loads a CDN and runs an inline script."""
    return state.templates.TemplateResponse(request, "docs.html", {})
