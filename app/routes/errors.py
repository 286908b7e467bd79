"""Error answers: one JSON shape ({"detail": ...}) for the API, a friendly page for browsers, one 500 handler."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

TITLES = {400: "Bad request", 401: "Log in first", 403: "Not allowed", 404: "Not found", 409: "Conflict", 405: "Method not allowed", 413: "Too large", 415: "Wrong format",
          422: "Invalid request", 429: "Too many requests", 500: "Something went wrong", 503: "Unavailable"}


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/healthz", "/static/")) or "/assets/" in path or path.endswith(".py"):
        return False
    return "text/html" in request.headers.get("accept", "")


def _answer(request: Request, status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    if _wants_html(request):
        templates: Jinja2Templates = request.app.state.rnnlab.templates
        return templates.TemplateResponse(request, "error.html", {
            "status": status, "title": TITLES.get(status, "Error"), "detail": detail}, status_code=status,
            headers=headers)
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def describe_validation(errors: list[Any]) -> str:
    """FastAPI's validation errors as one sentence a person can act on."""
    parts = []
    for error in errors:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "path", "query"))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid")))
    return "; ".join(parts) or "Invalid request."


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"There is nothing at {request.url.path}."
        return _answer(request, exc.status_code, detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return _answer(request, 422, describe_validation(list(exc.errors())))

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        # Level 3 (a bug of ours): log it with the request, never show a traceback.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _answer(request, 500, "The server hit an unexpected error; it has been logged.")
