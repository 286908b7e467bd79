"""GET /metrics: the grading metrics in Prometheus's text format, for the operator's scraper only."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.exceptions import HTTPException

from app.metrics import scrape_allowed
from app.routes.deps import State

router = APIRouter()


# Not in the OpenAPI document: it is the operator's, not the learners' API, and refuses most clients.
@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, state: State) -> Response:
    """Loopback clients (a Prometheus on this host) or RNNLAB_METRICS_TOKEN as a bearer token; anyone else gets the
    same 404 as a path that does not exist. A plain def: the queue's SQL runs in the thread pool."""
    client = request.client.host if request.client else None
    if not scrape_allowed(client, request.headers, state.settings.metrics_token):
        raise HTTPException(404)
    body, content_type = state.metrics.render()
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})
