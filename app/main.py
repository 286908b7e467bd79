"""create_app(settings) -> FastAPI: wiring only. Usable as `uvicorn --factory app.main:create_app`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates

from app.accounts import Accounts
from app.config import REPO_ROOT, Settings
from app.course import Course
from app.csrf import CsrfTokens
from app.database import Database
from app.events import Bell, EventLog, PgBellListener
from app.health import StorageHealth
from app.identity import LearnerCookie, load_secret_key
from app.jobs.queue import JobQueue
from app.lti.launch import STATE_LIFETIME
from app.lti.periodic import Periodic
from app.lti.routes import make_router as lti_router
from app.lti.tool import LtiTool
from app.lti_bridge import (
    LTI_LOGINS_IN_ALL,
    LTI_LOGINS_PER_ADDRESS,
    CourseLessons,
    FrameAncestors,
    GradeSync,
    LtiAccounts,
    LtiSessions,
)
from app.metrics import GradingMetrics
from app.migrate import ensure_schema
from app.queue import GradingQueue
from app.routes import accounts, api, checks, health, instructor, metrics, pages
from app.routes.csrf import CsrfCookie
from app.routes.deps import AppState, page_context
from app.routes.errors import add_error_handlers
from app.routes.headers import SecurityHeaders
from app.routes.timeouts import BodyTimeout
from app.sessions import Sessions
from app.static_assets import DynamicGZip, StaticAssets
from app.store import Store
from app.throttle import LoginThrottle, RequestRate
from graders import SandboxUnavailable, WorkerPool
from graders.sandbox import preflight

log = logging.getLogger(__name__)

STATIC_DIR = REPO_ROOT / "static"
TEMPLATES_DIR = REPO_ROOT / "templates"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Raises LessonError (a broken lesson), SandboxUnavailable (no isolation) or SchemaError (the
    database is not migrated and may not be migrated here) instead of starting."""
    settings = settings or Settings()
    # Scaled layout: web replicas run no learner code and hold no held-out data; grading hosts do (app/jobs/host.py).
    heldout = None if settings.scaled else settings.heldout_store()
    course = Course(settings.lessons_dir, heldout)
    if not settings.scaled:
        preflight(settings.sandbox_config())  # fail before binding a port, with the fix in the message
    database = Database(settings.resolved_database_url())
    try:
        ensure_schema(database.engine, migrate=settings.should_migrate_on_start())
    except Exception:
        database.close()
        raise
    store = Store(database)
    secret_key = load_secret_key(settings.secret_key, settings.data_dir)
    state = AppState(settings=settings, course=course, store=store, accounts=Accounts(database, store),
                     sessions=Sessions(database, timedelta(days=settings.session_days)),
                     throttle=LoginThrottle(database, per_email=settings.login_max_failures,
                                            per_ip=settings.login_max_failures_per_ip,
                                            window_s=settings.login_window_s),
                     csrf=CsrfTokens(secret_key), cookie=LearnerCookie(secret_key),
                     metrics=GradingMetrics(database, pool=lambda: state.pool),  # the pool starts with the app
                     events=EventLog(database, Bell()),
                     templates=Jinja2Templates(directory=TEMPLATES_DIR, context_processors=[page_context]))

    lti = None
    if settings.lti_tool_url:
        lti = LtiTool.create(engine=database.engine, data_dir=settings.data_dir, tool_url=settings.lti_tool_url,
                             accounts=LtiAccounts(state.accounts, settings.lti_instructor_contexts),
                             lessons=CourseLessons(course),
                             allow_loopback_http=settings.lti_allow_loopback_http)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        pool: WorkerPool | None = None
        listener: PgBellListener | None = None
        queue: GradingQueue | JobQueue
        if settings.scaled:
            queue = JobQueue(store, max_queued_per_learner=settings.max_queued_per_learner)
            listener = PgBellListener(database.url, state.events.bell)
            listener.start()
        else:
            pool = WorkerPool(settings.sandbox_config(), size=settings.pool_size)
            try:
                pool.start()
            except SandboxUnavailable as exc:
                log.error("refusing to start: learner code cannot be isolated: %s", exc)
                raise
            queue = GradingQueue(store, course.lesson, pool, concurrent_jobs=settings.concurrent_jobs,
                                 max_queued_per_learner=settings.max_queued_per_learner, heldout=heldout,
                                 max_code_bytes=settings.max_code_bytes, events=state.events,
                                 observer=state.metrics)
        queue.start()
        state.pool, state.queue = pool, queue
        lti_threads: list[Periodic] = []
        if lti is not None:  # grades wait in the database, so stopping these loses nothing
            sync = GradeSync(database, lti.outbox, lambda: course.course_file)
            lti_threads = [Periodic(sync.sync_once, settings.lti_sync_interval_s, "lti-grade-sync"),
                           Periodic(lti.outbox.deliver_due, settings.lti_sync_interval_s, "lti-outbox")]
            for thread in lti_threads:
                thread.start()
        try:
            yield
        finally:
            for thread in lti_threads:
                thread.stop()
            queue.stop()
            if (check_runner := getattr(_app.state, "checks", None)) is not None:
                check_runner.close()  # app.routes.checks made it on the first check
            if pool is not None:
                pool.close()  # kills a grading in flight; it is graded again at the next start
            queue.join()
            if listener is not None:
                listener.stop()
                listener.join()
            store.close()

    app = FastAPI(title="RNN Lab", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Auto-graded exercises on recurrent neural networks. A signed cookie names each "
                              "anonymous browser; accounts sign in with a session cookie. Every state-changing request "
                              "that carries our cookies must send the page's CSRF token in the X-CSRF-Token header.")
    app.state.rnnlab = state
    app.state.health = StorageHealth(database)  # remembers which database file it opened
    cookies = settings.cookie_policy()
    app.add_middleware(CsrfCookie, policy=cookies)
    # With LTI on, the registered platforms may frame our pages (a lesson inside the course); nobody else may.
    framers = FrameAncestors(lti.platforms, settings.lti_frame_ancestors) if lti is not None else None
    app.add_middleware(SecurityHeaders, frame_ancestors=framers)
    # Pages and JSON; never SSE. HTML is safe to compress because its CSRF token is masked afresh in every response
    # (app/csrf.py: no BREACH); static files come pre-gzipped.
    app.add_middleware(DynamicGZip, minimum_size=1024, compress_html=True)
    # Outermost: a stalled upload is cut off before any other layer waits on it.
    app.add_middleware(BodyTimeout, timeout_s=settings.body_timeout_s)
    add_error_handlers(app)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(checks.router)
    app.include_router(health.router)
    app.include_router(accounts.router)
    app.include_router(instructor.router)
    app.include_router(metrics.router)
    if lti is not None:
        logins = RequestRate(LTI_LOGINS_PER_ADDRESS, LTI_LOGINS_IN_ALL, STATE_LIFETIME.total_seconds())
        app.include_router(lti_router(lti, LtiSessions(state.accounts, state.sessions, cookies,
                                                       https=lti.secure_cookies or settings.secure_cookies),
                                      admit=logins.take))
    static = StaticAssets(STATIC_DIR)
    state.templates.env.globals["static_url"] = static.url
    app.mount("/static", static, name="static")
    return app
