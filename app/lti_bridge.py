"""The LTI tool (app/lti) bridged to RNN Lab: its accounts, sessions, lessons and counted grades.

A launch maps iss + sub to an account (created on the first launch, without a password: it signs in through its
LMS), starts one of our sessions, and lands on the lesson. Grades go back through GradeSync: every few seconds it
recomputes the counted score (the course file's best/last rule and late policy, app.gradebook) of each
LMS-linked account and hands it to the outbox, which ignores unchanged scores and retries until the platform has
it. Recomputing from the submissions, instead of hooking the grading queue, means a crash between grading and
queueing loses nothing, and a score earned before the learner's first launch is sent too.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi.responses import Response
from sqlalchemy import String, cast, select

from app.accounts import Accounts, Role
from app.cookies import CookiePolicy
from app.course import Course
from app.course_file import CourseFile
from app.database import Database, as_utc, now
from app.gradebook import Attempt, LessonPolicy, grade_lesson
from app.lti.claims import Launch, MappedRole
from app.lti.outbox import Outbox
from app.lti.registration import PlatformStore
from app.lti.tables import lti_links
from app.sessions import SESSION_COOKIE, Sessions
from app.tables import SubmissionRow, UserRow

log = logging.getLogger(__name__)

# An LMS may make a user our instructor (a course's teacher), never our admin: administering this server is
# granted here, with `rnnlab users`, not by any platform.
ROLE_CAP = {MappedRole.learner: Role.learner, MappedRole.instructor: Role.instructor, MappedRole.admin: Role.instructor}


# /lti/login stores a row (up to 12 KiB) for ten minutes before anyone is known. A class behind one NAT address
# launches a few hundred times in that window; a flood from many addresses stops at the total.
LTI_LOGINS_PER_ADDRESS = 600
LTI_LOGINS_IN_ALL = 10_000


def fallback_email(launch: Launch) -> str:
    """A stable address for an LMS user whose platform sends no usable email (.invalid never routes mail)."""
    digest = hashlib.sha256(f"{launch.issuer}\0{launch.subject}".encode()).hexdigest()[:24]
    return f"lti-{digest}@lti.invalid"


class LtiAccounts:
    """AccountMapper: the account an LMS user maps to; its role follows the latest launch (an admin stays one).

    An LMS instructor becomes an instructor here (every learner's code and grades) only when launching from one of
    `instructor_contexts`, the LMS course ids of this class ("*": any course of the registered deployments). Anyone
    can teach a course of their own on many LMSs (a Moodle sandbox, a course request), so by default nobody does."""

    def __init__(self, accounts: Accounts, instructor_contexts: str = "") -> None:
        self.accounts = accounts
        self.instructor_contexts = frozenset(instructor_contexts.split())

    def role_for(self, launch: Launch) -> Role:
        role = ROLE_CAP[launch.role]
        if role is Role.instructor and "*" not in self.instructor_contexts \
                and launch.context_id not in self.instructor_contexts:
            log.warning("LTI: an instructor of LMS course %r (%s) launched; they get a learner's role here. To make "
                        "that course's instructors instructors of this server, add %r to RNNLAB_LTI_INSTRUCTOR_CONTEXTS",
                        launch.context_id, launch.context_title, launch.context_id)
            return Role.learner
        return role

    def resolve_account(self, launch: Launch, linked: str | None) -> str:
        role = self.role_for(launch)
        user = self.accounts.get(int(linked)) if linked and linked.isdigit() else None
        if user is None:  # the first launch, or the account was deleted since: a fresh one
            user = self.accounts.create_external(launch.email, fallback_email(launch), role)
        elif user.role is not Role.admin and user.role is not role:
            user = self.accounts.set_role(user.id, role) or user
        return str(user.id)


class LtiSessions:
    """SessionStarter: one of our sessions for the launched account, in the cookie policy of the app: embeddable
    (SameSite=None; Secure; Partitioned) when the tool URL is https, so the lesson works inside the LMS frame
    as well as in a window of its own (app/cookies.py)."""

    def __init__(self, accounts: Accounts, sessions: Sessions, policy: CookiePolicy, https: bool) -> None:
        self.accounts, self.sessions, self.policy, self.https = accounts, sessions, policy, https

    def start_session(self, account_key: str, launch: Launch, response: Response) -> None:
        user = self.accounts.get(int(account_key))
        if user is None:
            return  # deleted between mapping and here: the lesson page then shows as for anyone signed out
        response.headers.append("set-cookie", self.policy.header(
            SESSION_COOKIE, self.sessions.start(user), int(self.sessions.lifetime.total_seconds()), https=self.https))


class FrameAncestors:
    """The origins allowed to frame our pages: every registered platform's issuer and login URL origin, read from
    the database at most every `ttl_s` seconds (a platform added with the CLI shows up within that)."""

    def __init__(self, platforms: PlatformStore, extra: str = "", ttl_s: float = 60.0) -> None:
        self.platforms, self.ttl_s = platforms, ttl_s
        # Configured origins: only well-formed http(s) origins get into the header (no injected directives).
        self.extra = sorted({origin for word in extra.split() if (origin := _origin(word))})
        self._origins: list[str] = []
        self._read_at = -math.inf
        self._lock = threading.Lock()

    def __call__(self) -> list[str]:
        with self._lock:
            if time.monotonic() - self._read_at > self.ttl_s:
                try:
                    self._origins = sorted({origin for p in self.platforms.all()
                                            for origin in (_origin(p.issuer), _origin(p.auth_login_url)) if origin}
                                           | set(self.extra))
                except Exception:  # noqa: BLE001 - a database hiccup keeps the last list (never opens framing up)
                    log.exception("could not read the LTI platforms for frame-ancestors")
                self._read_at = time.monotonic()
            return list(self._origins)


def _origin(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or not all(c.isalnum() or c in ".-[]:" for c in host):
        return None
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


class CourseLessons:
    """Lessons: the served catalog."""

    def __init__(self, course: Course) -> None:
        self.course = course

    def has_lesson(self, slug: str) -> bool:
        return self.course.lesson(slug) is not None

    def lesson_title(self, slug: str) -> str:
        lesson = self.course.lesson(slug)
        return lesson.meta.title if lesson else slug


class GradeSync:
    """Hands each LMS-linked account's counted score per lesson to the outbox (the app runs `sync_once` every few
    seconds with app.lti.periodic.Periodic)."""

    def __init__(self, database: Database, outbox: Outbox, course_file: Callable[[], CourseFile]) -> None:
        self.database, self.outbox, self.course_file = database, outbox, course_file

    def sync_once(self) -> int:
        """Queue every counted score that differs from the one the platform has (or waits for). Returns how many."""
        course = self.course_file()  # the served one: validated, reloaded on edits, the last good one kept
        # No report column: the counted score needs status, score and time only, and reports (logs, checks,
        # history) are what makes reading every linked learner's every submission each round expensive.
        query = (select(UserRow.id, SubmissionRow.lesson, SubmissionRow.created, SubmissionRow.status,
                        SubmissionRow.score)
                 .join(SubmissionRow, SubmissionRow.learner_id == UserRow.learner_id)
                 .where(cast(UserRow.id, String).in_(select(lti_links.c.account_key)))
                 .order_by(SubmissionRow.id))
        attempts: dict[tuple[int, str], list[Attempt]] = defaultdict(list)
        with self.database.session() as session:
            for user_id, lesson, created, status, score in session.execute(query):
                attempts[(user_id, lesson)].append(Attempt.from_report(as_utc(created) or now(), status, score, None))
        queued = 0
        for (user_id, lesson), tries in attempts.items():
            grade = grade_lesson(tries, LessonPolicy.from_course(course, lesson))
            if grade.score is not None:
                queued += self.outbox.score_changed(str(user_id), lesson, round(grade.score, 4), 1.0)
        return queued
