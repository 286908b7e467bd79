"""Error answers: one JSON shape ({"detail": ...}) for the API, a friendly page for browsers, one 500 handler, and
a 503 when the database cannot take writes (disk full, read-only) or cannot be reached."""

from __future__ import annotations

import html
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from app.health import RETRY_AFTER_S, FailureLog, storage_failure

log = logging.getLogger(__name__)
storage_failures = FailureLog()

TITLES = {400: "Bad request", 401: "Log in first", 403: "Not allowed", 404: "Not found", 409: "Conflict", 405: "Method not allowed", 413: "Too large", 415: "Wrong format",
          422: "Invalid request", 429: "Too many requests", 500: "Something went wrong", 503: "Unavailable"}


ALLOW_CANDIDATES = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


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


def _unavailable(request: Request, problem: str) -> Response:
    """503 + Retry-After for a database that cannot take writes: a plain page (the page template reads the session
    and the CSRF state, which may be what fails), JSON for everything else."""
    storage_failures.report(problem, f"{request.method} {request.url.path}")
    detail = f"{problem} Nothing was saved; please try again in a few minutes."
    headers = {"Retry-After": str(RETRY_AFTER_S), "Cache-Control": "no-store"}
    if _wants_html(request):
        page = (f"<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Unavailable</title>"
                f"<h1>Temporarily unavailable</h1><p>{html.escape(detail)}</p></html>\n")
        return HTMLResponse(page, status_code=503, headers=headers)
    return JSONResponse({"detail": detail}, status_code=503, headers=headers)


def describe_validation(errors: list[Any]) -> str:
    """FastAPI's validation errors as one sentence a person can act on."""
    parts = []
    for error in errors:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "path", "query"))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid")))
    return "; ".join(parts) or "Invalid request."


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path. Starlette's 405 names only the methods of the first route whose
    path matched, and GET and POST of one URL are two routes: the Allow header left out the others."""
    scope = request.scope
    allowed = []
    for method in ALLOW_CANDIDATES:
        probe = {"type": "http", "method": method, "path": scope["path"], "root_path": scope.get("root_path", ""),
                 "headers": [], "query_string": b""}
        # A Mount (static files) matches any method under its prefix; it answers its own 405s.
        if any(route.matches(probe)[0] is Match.FULL for route in request.app.router.routes
               if not isinstance(route, Mount)):
            allowed.append(method)
    return ", ".join(allowed)


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"There is nothing at {request.url.path}."
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405 and (allowed := _allowed_methods(request)):
            headers = {**(headers or {}), "Allow": allowed}
        return _answer(request, exc.status_code, detail, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return _answer(request, 422, describe_validation(list(exc.errors())))

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> Response:
        problem = storage_failure(exc)
        if problem is None:
            raise exc  # a bug of ours: the 500 handler below logs it
        return _unavailable(request, problem)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        problem = storage_failure(exc)  # raised outside the routes (a middleware): still the operator's problem
        if problem is not None:
            return _unavailable(request, problem)
        # Level 3 (a bug of ours): log it with the request, never show a traceback.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _answer(request, 500, "The server hit an unexpected error; it has been logged.")
