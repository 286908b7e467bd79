"""create_app(settings) -> FastAPI: wiring only. Usable as `uvicorn --factory app.main:create_app`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from app.config import REPO_ROOT, Settings
from app.course import Course
from app.identity import LearnerCookie, load_secret_key
from app.queue import GradingQueue
from app.routes import api, pages
from app.routes.deps import AppState
from app.routes.errors import add_error_handlers
from app.routes.headers import SecurityHeaders
from app.store import Store
from graders import SandboxUnavailable, WorkerPool
from graders.sandbox import preflight

log = logging.getLogger(__name__)

STATIC_DIR = REPO_ROOT / "static"
TEMPLATES_DIR = REPO_ROOT / "templates"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Raises LessonError (a broken lesson) or SandboxUnavailable (no isolation) instead of starting."""
    settings = settings or Settings()
    heldout = settings.heldout_store()
    course = Course(settings.lessons_dir, heldout)
    preflight(settings.sandbox_config())  # fail before binding a port, with the fix in the message
    store = Store(settings.resolved_database_url())
    state = AppState(settings=settings, course=course, store=store,
                     cookie=LearnerCookie(load_secret_key(settings.secret_key, settings.data_dir)),
                     templates=Jinja2Templates(directory=TEMPLATES_DIR))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        pool = WorkerPool(settings.sandbox_config(), size=settings.pool_size)
        try:
            pool.start()
        except SandboxUnavailable as exc:
            log.error("refusing to start: learner code cannot be isolated: %s", exc)
            raise
        queue = GradingQueue(store, course.lesson, pool, concurrent_jobs=settings.concurrent_jobs,
                             max_queued_per_learner=settings.max_queued_per_learner,
                             heldout=heldout, max_code_bytes=settings.max_code_bytes)
        queue.start()
        state.pool, state.queue = pool, queue
        try:
            yield
        finally:
            queue.stop()
            pool.close()  # kills a grading in flight; it is graded again at the next start
            queue.join()
            store.close()

    app = FastAPI(title="RNN Lab", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Auto-graded exercises on recurrent neural networks. Learners are anonymous: "
                              "a signed cookie names each browser.")
    app.state.rnnlab = state
    app.add_middleware(SecurityHeaders)
    add_error_handlers(app)
    app.include_router(pages.router)
    app.include_router(api.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
