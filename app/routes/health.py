"""GET /healthz: what a load balancer, the container's HEALTHCHECK or an operator asks before trusting this server."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.health import StorageHealth
from app.routes.deps import State
from app.schemas import HealthCheckPublic, HealthPublic

router = APIRouter()


@router.get("/healthz", response_model=HealthPublic, tags=["ops"], responses={503: {"model": HealthPublic}})
@router.head("/healthz", include_in_schema=False)  # HEAD for probes; one operation in the OpenAPI document
def healthz(state: State, request: Request, response: Response) -> HealthPublic:
    """200 when the database answers, takes writes and is the one opened at start (SQLite: the same file, with
    free space) and the grading threads are alive; otherwise 503 with `status: degraded` and the failing check."""
    storage: StorageHealth = request.app.state.health
    checks = {check.name: HealthCheckPublic(ok=check.ok, detail=check.detail) for check in storage.checks()}
    grading = state.queue is not None and state.queue.running
    checks["grading"] = HealthCheckPublic(ok=grading, detail="grading threads are alive" if grading else
                                          "grading is not running (starting or stopping)")
    queued = running = None
    if checks["database"].ok:
        try:
            counts = state.store.count_by_status()
            queued, running = counts["queued"], counts["running"]
        except Exception as exc:  # noqa: BLE001 - the database failed between two checks: say so, not 500
            checks["database"] = HealthCheckPublic(ok=False, detail=f"cannot count submissions: {type(exc).__name__}")
    healthy = all(check.ok for check in checks.values())
    if not healthy:
        response.status_code = 503
    return HealthPublic(status="ok" if healthy else "degraded", lessons=len(state.course.catalog), queued=queued,
                        running=running, grading=grading,
                        warm_workers=state.pool.idle_count() if state.pool else 0, checks=checks)
