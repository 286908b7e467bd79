"""Settings: every knob of RNN Lab, read from RNNLAB_* environment variables. The only reader of the environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.cookies import CookiePolicy
from graders.heldout import HeldoutStore
from graders.sandbox import SandboxConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
INSTALLED_LESSONS = REPO_ROOT / "lessons"


def is_course_folder(folder: Path) -> bool:
    """A folder with lessons/ holding a lesson folder or a course.toml: `rnnlab` run here means these lessons."""
    lessons = folder / "lessons"
    if not lessons.is_dir():
        return False
    if (lessons / "course.toml").is_file():
        return True
    return any((child / "lesson.md").is_file() for child in lessons.iterdir() if child.is_dir())


GRADING_SLOT_BYTES = 2 * 1024**3  # a grading's two warm TF workers (~0.5 GB each) and its job's 1.5 GB limit, roughly


def grading_slots(cpus_per_job: int) -> int:
    """How many gradings this machine runs well at once: one per `cpus_per_job` cores this process may use, at most
    one per 2 GiB of memory (TensorFlow ignores CPU quotas, so more jobs than cores only share them slower)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        memory = GRADING_SLOT_BYTES
    return max(1, min(cores // cpus_per_job, memory // GRADING_SLOT_BYTES))


def default_lessons_dir() -> Path:
    """./lessons when the current folder is a course folder, else the lessons of the checkout rnnlab runs from.
    Only the current folder, never a parent: which course a command touches must be obvious from where it runs."""
    cwd = Path.cwd()
    if is_course_folder(cwd) and (cwd / "lessons").resolve() != INSTALLED_LESSONS:
        return cwd / "lessons"
    return INSTALLED_LESSONS


class Settings(BaseSettings):
    """Documented in README.md (a test checks that every field is)."""

    model_config = SettingsConfigDict(env_prefix="RNNLAB_", extra="forbid")

    lessons_dir: Path = Field(
        default_factory=default_lessons_dir, description="Folder of lesson folders. Unset: `./lessons` when the "
        "current folder is a course folder (its `lessons/` holds a lesson folder or a `course.toml`), else the "
        "`lessons/` of the checkout rnnlab is installed from."
    )
    data_dir: Path = Field(Path("./data"), description="Where the SQLite database and run files live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; defaults to SQLite at DATA_DIR/rnnlab.sqlite3, where the server grades "
        "in-process. A PostgreSQL URL (postgresql+psycopg://…) selects the scaled layout: web replicas queue jobs and "
        "`rnnlab worker` grading hosts run them (docs/deployment.md)."
    )
    worker_jobs: int = Field(1, ge=1, description="`rnnlab worker`: gradings one grading host runs at the same time. "
                             "Unset: one per `cpus_per_job` cores, at most one per 2 GiB of memory.")
    worker_drain_s: float = Field(
        60.0, ge=0, description="`rnnlab worker`: on SIGTERM, seconds the gradings in flight may take to finish before "
        "they are released to another host."
    )
    worker_heartbeat_s: float = Field(10.0, gt=0, description="`rnnlab worker`: seconds between a host's heartbeats.")
    worker_stalled_s: float = Field(
        30.0, gt=0, description="`rnnlab worker`: a host whose heartbeat is this many seconds old is presumed dead and "
        "its jobs are re-queued (its late results are discarded)."
    )
    migrate_on_start: bool | None = Field(
        None, description="Apply pending schema migrations when `rnnlab serve` (or a `users` command) starts. Unset: "
        "yes for SQLite, no for other databases (run `rnnlab db upgrade` as a release step). False: refuse to start "
        "on an unmigrated database, naming the command to run."
    )
    secret_key: str | None = Field(
        None, description="Signs learner cookies and CSRF tokens; defaults to a random key kept in DATA_DIR/secret.key."
    )
    secure_cookies: bool = Field(
        False, description="Mark every cookie Secure (sent over HTTPS only). Turn on behind a TLS proxy; cookies of "
        "requests that reach the app over https are Secure anyway."
    )
    lti_tool_url: str | None = Field(
        None, description="Public https base URL of this server as course platforms (Canvas, Moodle) know it, e.g. "
        "https://rnnlab.example.org. Set: LTI 1.3 is on (/lti/login, /lti/launch, /lti/jwks.json; docs/lti.md)."
    )
    lti_allow_loopback_http: bool = Field(
        False, description="Let LTI URLs on 127.0.0.1/localhost use plain http (tests, a local Moodle); never others."
    )
    lti_frame_ancestors: str = Field(
        "", description="More origins (space-separated) allowed to frame lessons besides the registered platforms' "
        "issuer and login origins, e.g. a Canvas school's own https://school.instructure.com."
    )
    lti_instructor_contexts: str = Field(
        "", description="LMS course (context) ids, space-separated, whose instructors become instructors here; '*' "
        "trusts every course of the registered deployments. Instructors from other courses arrive as learners (the "
        "log names their course id)."
    )
    lti_sync_interval_s: float = Field(
        10.0, gt=0, description="How often counted scores of LMS-linked learners are compared with what was sent, "
        "and pending grades are posted (failed posts back off up to an hour)."
    )
    session_days: int = Field(30, ge=1, description="How long a log-in lasts before the browser must log in again.")
    login_max_failures: int = Field(
        5, ge=1, description="Failed log-ins allowed per email within LOGIN_WINDOW_S before further tries get 429."
    )
    login_max_failures_per_ip: int = Field(
        30, ge=1, description="Failed log-ins allowed per client address within LOGIN_WINDOW_S (higher than per "
        "email: a classroom often shares one address)."
    )
    login_window_s: int = Field(900, ge=1, description="The window (seconds) over which failed log-ins are counted.")
    heldout_dir: Path | None = Field(
        None, description="Optional folder of instructor-supplied private held-out data kept outside the repository: "
        "<slug>.csv (series), <slug>.npz (arrays) or <slug>.txt (text)."
    )
    require_private_heldout: bool = Field(
        False, description="Refuse to grade a lesson whose held-out data is public (derivable from the repository); "
        "on in the Docker image."
    )
    sandbox_mode: Literal["bwrap", "unconfined"] = Field(
        "bwrap", description="bwrap (bubblewrap + seccomp + cgroups). 'unconfined' runs learner code unisolated: "
        "for a trusted laptop only; it prints a loud warning."
    )
    sandbox_python: str = Field(
        sys.executable, description="Interpreter (with TensorFlow) run inside the sandbox; uid 65534 must read it."
    )
    sandbox_uid: int = Field(65534, description="Unprivileged uid learner code runs as when the server is root.")
    sandbox_require_cgroup: bool = Field(
        False, description="Refuse to grade when no cgroup can be made (instead of falling back to RLIMIT_DATA)."
    )
    cpus_per_job: int = Field(1, ge=1, description="Cores one grading job gets; TF's thread pools are sized to it.")
    pool_size: int = Field(2, ge=0, description="Gradings that can start at once on warm sandboxed workers (a builder "
                           "and an evaluator with TensorFlow imported, and a NumPy-only worker, each); 0 = start each "
                           "worker cold. Unset: concurrent_jobs (worker_jobs for `rnnlab worker`).")
    concurrent_jobs: int = Field(1, ge=1, description="Submissions graded at the same time by the server. Unset: one "
                                 "per `cpus_per_job` cores, at most one per 2 GiB of memory.")
    max_code_bytes: int = Field(64 * 1024, description="Largest submission accepted.")
    max_queued_per_learner: int = Field(3, description="Queued or running submissions one learner may have.")
    metrics_token: str | None = Field(
        None, description="Bearer token that admits a Prometheus scraper to /metrics from anywhere; without it only "
        "loopback clients that did not come through a proxy may read /metrics (others get 404)."
    )

    header_timeout_s: float = Field(
        15.0, gt=0, description="Seconds a client may take to send a request's line and headers (counted from the "
        "connection, or from the first byte of a later request on a kept-alive one); slower clients are answered 408 "
        "and disconnected, so a slowloris cannot hold connections open. Used by `rnnlab serve`."
    )
    body_timeout_s: float = Field(
        30.0, gt=0, description="Seconds a request's body may take to arrive once its headers have; a stalled upload "
        "is answered 408 instead of holding a worker thread forever."
    )

    def lessons_dir_note(self) -> str | None:
        """Where the lessons come from when the current folder chose them (the CLI says so), else None: the installed
        checkout's folder is the default, and RNNLAB_LESSONS_DIR was the operator's own explicit choice."""
        if "lessons_dir" in self.model_fields_set:
            return None
        if self.lessons_dir != INSTALLED_LESSONS:
            return (f"lessons from {self.lessons_dir} (the current folder is a course folder; RNNLAB_LESSONS_DIR "
                    "overrides)")
        return None

    @property
    def scaled(self) -> bool:
        """PostgreSQL: grading runs on `rnnlab worker` hosts through procrastinate, not in the web process."""
        return self.resolved_database_url().startswith("postgresql")

    @model_validator(mode="after")
    def _size_from_machine(self) -> Settings:
        """Concurrency and warm workers follow the machine unless set (a value from the environment is kept)."""
        slots = grading_slots(self.cpus_per_job)
        if "concurrent_jobs" not in self.model_fields_set:
            self.concurrent_jobs = slots
        if "worker_jobs" not in self.model_fields_set:
            self.worker_jobs = slots
        if "pool_size" not in self.model_fields_set:
            self.pool_size = self.concurrent_jobs
        return self

    def cookie_policy(self) -> CookiePolicy:
        """Embeddable cookies (SameSite=None; Secure; Partitioned) when LTI is on over https: lessons then show
        inside the LMS's frame (app/cookies.py)."""
        embeddable = bool(self.lti_tool_url and self.lti_tool_url.lower().startswith("https://"))
        return CookiePolicy(embeddable=embeddable, always_secure=self.secure_cookies)

    def sandbox_config(self) -> SandboxConfig:
        return SandboxConfig(
            mode=self.sandbox_mode, python=self.sandbox_python, uid=self.sandbox_uid, gid=self.sandbox_uid,
            cpus=self.cpus_per_job, require_cgroup=self.sandbox_require_cgroup,
        )

    def heldout_store(self) -> HeldoutStore:
        """Generated held-out data lives in DATA_DIR/private (mode 0700), which no sandbox ever binds."""
        return HeldoutStore(private_dir=self.data_dir / "private", supplied_dir=self.heldout_dir,
                            require_private=self.require_private_heldout)

    def should_migrate_on_start(self) -> bool:
        if self.migrate_on_start is not None:
            return self.migrate_on_start
        return self.resolved_database_url().startswith("sqlite")

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'rnnlab.sqlite3').resolve()}"
