"""The grade outbox: the latest score each LTI learner should have in each gradebook column, delivered with retries.

A score change is written here in the same breath as it happens (no network); a dispatcher posts it later and,
while the platform is down, retries with exponential backoff, keeping the last error. A newer score for the same
learner and column overwrites an unsent older one, so the platform only ever receives the latest.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select, update

from app.lti.ags import AgsClient, Score
from app.lti.errors import GradeServiceError
from app.lti.registration import PlatformStore
from app.lti.storage import utc
from app.lti.tables import lti_grade_targets, lti_line_items, lti_links, lti_outbox

log = logging.getLogger(__name__)

PENDING, SENT = "pending", "sent"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    lesson: str
    subject: str
    issuer: str
    score_given: float
    score_maximum: float
    status: str
    attempts: int
    next_attempt: datetime
    last_error: str | None


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int


def outbox_entries(engine: Engine) -> list[OutboxEntry]:
    """Every entry, sent or waiting, with its last error (for `rnnlab lti outbox` and tests)."""
    query = (select(lti_outbox, lti_line_items.c.lesson, lti_links.c.subject, lti_links.c.issuer)
             .join(lti_grade_targets, lti_grade_targets.c.id == lti_outbox.c.target_id)
             .join(lti_links, lti_links.c.id == lti_grade_targets.c.link_id)
             .join(lti_line_items, lti_line_items.c.id == lti_grade_targets.c.line_item_id)
             .order_by(lti_outbox.c.id))
    with engine.connect() as conn:
        return [OutboxEntry(id=r.id, lesson=r.lesson, subject=r.subject, issuer=r.issuer, score_given=r.score_given,
                            score_maximum=r.score_maximum, status=r.status, attempts=r.attempts,
                            next_attempt=utc(r.next_attempt) or _now(), last_error=r.last_error)
                for r in conn.execute(query)]


class Outbox:
    def __init__(self, engine: Engine, platforms: PlatformStore, ags: AgsClient, *,
                 now: Callable[[], datetime] = _now, first_retry_s: float = 30.0, max_retry_s: float = 3600.0,
                 batch: int = 50, lease_s: float = 300.0) -> None:
        self.engine = engine
        self.platforms = platforms
        self.ags = ags
        self.now = now
        self.first_retry_s = first_retry_s
        self.max_retry_s = max_retry_s
        self.batch = batch
        self.lease_s = lease_s  # longer than one delivery's HTTP calls; a process that dies mid-post loses its lease
        self._delivering = threading.Lock()  # one dispatcher at a time: find-or-create must not race itself

    def score_changed(self, account_key: str, lesson: str, score_given: float, score_maximum: float) -> int:
        """Queue the account's counted score for the lesson for every LMS column it launched it from.
        Returns how many entries now wait to be sent (0: no LTI column, or the score is the one already there)."""
        when = self.now()
        targets = (select(lti_grade_targets.c.id)
                   .join(lti_links, lti_links.c.id == lti_grade_targets.c.link_id)
                   .join(lti_line_items, lti_line_items.c.id == lti_grade_targets.c.line_item_id)
                   .where(lti_links.c.account_key == account_key, lti_line_items.c.lesson == lesson))
        queued = 0
        with self.engine.begin() as conn:
            for target_id in conn.execute(targets).scalars().all():
                row = conn.execute(select(lti_outbox).where(lti_outbox.c.target_id == target_id)).first()
                if row is None:
                    conn.execute(insert(lti_outbox).values(
                        target_id=target_id, score_given=score_given, score_maximum=score_maximum, scored_at=when,
                        version=1, status=PENDING, attempts=0, next_attempt=when))
                elif (row.score_given, row.score_maximum) == (score_given, score_maximum):
                    continue  # unchanged: already sent, or already waiting
                else:
                    conn.execute(update(lti_outbox).where(lti_outbox.c.id == row.id).values(
                        score_given=score_given, score_maximum=score_maximum, scored_at=when,
                        version=row.version + 1, status=PENDING, attempts=0, next_attempt=when))
                queued += 1
        return queued

    def entries(self) -> list[OutboxEntry]:
        return outbox_entries(self.engine)

    def _delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.max_retry_s, self.first_retry_s * 2 ** (attempts - 1)))

    def deliver_due(self) -> Delivery:
        """Post every entry whose time has come. Never raises for a platform's failure: that is recorded."""
        with self._delivering:
            query = (select(lti_outbox.c.id, lti_outbox.c.version, lti_outbox.c.attempts, lti_outbox.c.next_attempt,
                            lti_outbox.c.score_given,
                            lti_outbox.c.score_maximum, lti_outbox.c.scored_at, lti_links.c.subject,
                            lti_line_items.c.id.label("line_item_id"), lti_line_items.c.platform_id,
                            lti_line_items.c.lineitems_url, lti_line_items.c.lineitem_url, lti_line_items.c.lesson,
                            lti_line_items.c.label, lti_line_items.c.resource_link_id)
                     .join(lti_grade_targets, lti_grade_targets.c.id == lti_outbox.c.target_id)
                     .join(lti_links, lti_links.c.id == lti_grade_targets.c.link_id)
                     .join(lti_line_items, lti_line_items.c.id == lti_grade_targets.c.line_item_id)
                     .where(lti_outbox.c.status == PENDING, lti_outbox.c.next_attempt <= self.now())
                     .order_by(lti_outbox.c.next_attempt, lti_outbox.c.id).limit(self.batch))
            with self.engine.connect() as conn:
                due = conn.execute(query).all()
            sent = failed = 0
            for row in due:
                if not self._lease(row):
                    continue  # another web process took it first, or a newer score replaced it
                try:
                    self._deliver(row)
                except GradeServiceError as exc:
                    failed += 1
                    attempts = row.attempts + 1
                    log.warning("LTI grade for %s in %s not delivered (attempt %d): %s",
                                row.subject, row.lesson, attempts, exc.message)
                    with self.engine.begin() as conn:
                        conn.execute(update(lti_outbox).where(
                            lti_outbox.c.id == row.id, lti_outbox.c.version == row.version).values(
                            attempts=attempts, last_error=exc.message[:2000],
                            next_attempt=self.now() + self._delay(attempts)))
                    continue
                sent += 1
                with self.engine.begin() as conn:
                    # Only the version we posted counts as sent; a newer score queued meanwhile stays pending.
                    conn.execute(update(lti_outbox).where(
                        lti_outbox.c.id == row.id, lti_outbox.c.version == row.version).values(
                        status=SENT, sent_version=row.version, sent_at=self.now(), last_error=None))
            return Delivery(sent=sent, failed=failed)

    def _lease(self, row: Any) -> bool:
        """Take the entry for this process: every web process runs the dispatcher, and only the one whose update
        still finds the entry as it read it posts it (the others see 0 rows). The lease moves its next attempt
        forward, so an entry whose process died mid-post is tried again once the lease runs out."""
        with self.engine.begin() as conn:
            taken = conn.execute(update(lti_outbox).where(
                lti_outbox.c.id == row.id, lti_outbox.c.version == row.version, lti_outbox.c.status == PENDING,
                lti_outbox.c.next_attempt == row.next_attempt).values(
                next_attempt=self.now() + timedelta(seconds=self.lease_s)))
        return taken.rowcount == 1

    def _deliver(self, row: Any) -> None:  # a Row of the query in deliver_due
        platform = self.platforms.by_id(row.platform_id)
        if platform is None:
            raise GradeServiceError("the platform is no longer registered", "unknown_platform")
        lineitem_url: str | None = row.lineitem_url
        if lineitem_url is None:
            lineitem_url = self._line_item_url(platform, row)
        self.ags.post_score(platform, lineitem_url, Score(user_id=row.subject, score_given=row.score_given,
                                                          score_maximum=row.score_maximum,
                                                          timestamp=utc(row.scored_at) or self.now()))

    def _line_item_url(self, platform: Any, row: Any) -> str:
        """The column's URL, found or made once. Leases are per entry, but a new column's first scores are several
        entries: on PostgreSQL the line item's row stays locked (SELECT ... FOR UPDATE) while this process asks the
        platform, so two web processes cannot both find nothing and both create the column; the second then reads
        the URL the first stored. SQLite has one process, whose deliveries _delivering already serialises."""
        stored = update(lti_line_items).where(lti_line_items.c.id == row.line_item_id,
                                              lti_line_items.c.lineitem_url.is_(None))
        if self.engine.dialect.name != "postgresql":
            lineitem_url = self._find_or_create(platform, row)
            with self.engine.begin() as conn:
                conn.execute(stored.values(lineitem_url=lineitem_url))
            return lineitem_url
        with self.engine.begin() as conn:
            current = conn.execute(select(lti_line_items.c.lineitem_url).where(
                lti_line_items.c.id == row.line_item_id).with_for_update()).scalar()
            if current is not None:
                return str(current)
            lineitem_url = self._find_or_create(platform, row)
            conn.execute(stored.values(lineitem_url=lineitem_url))
            return lineitem_url

    def _find_or_create(self, platform: Any, row: Any) -> str:
        return self.ags.find_or_create_line_item(platform, row.lineitems_url, row.lesson, row.label or row.lesson,
                                                 row.score_maximum, row.resource_link_id)
