"""PLACEHOLDER for the instructor dashboard: instructor() renders instructor.html. It exists so role enforcement
(require_role) has a route to be tested on; the real dashboard replaces this module's body, not its guard."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.routes.deps import Instructor, State

router = APIRouter(include_in_schema=False)


@router.get("/instructor", response_class=HTMLResponse)
def instructor(request: Request, state: State, user: Instructor) -> HTMLResponse:
    return state.templates.TemplateResponse(request, "instructor.html", {"account": user})
