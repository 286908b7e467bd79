"""Red team, LTI outbox on the scaled layout: every web replica runs the dispatcher, and leases are per entry. A new
gradebook column's first scores are several entries (one per learner); two replicas each delivering one must not
both ask the platform, find no column, and both create it (a duplicate column in the instructor's gradebook)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select

from app.database import Database
from app.lti.outbox import Outbox
from app.lti.tables import lti_grade_targets, lti_line_items, lti_links, lti_outbox, lti_platforms

LESSON = "lstm-sequence-prediction"


class SlowPlatform:
    """An AGS platform whose line-item search takes a while: long enough for another replica to start its own."""

    def __init__(self) -> None:
        self.columns: list[str] = []
        self.scores: list[tuple[str, str]] = []
        self.searching = threading.Event()
        self.lock = threading.Lock()

    def find_or_create_line_item(self, platform: Any, lineitems_url: str, resource_id: str, label: str,
                                 score_maximum: float, resource_link_id: str | None) -> str:
        with self.lock:
            found = list(self.columns)
        self.searching.set()
        if found:
            return found[0]
        time.sleep(0.5)  # the platform is slow to answer the search and the create
        with self.lock:
            self.columns.append(f"{lineitems_url}/{len(self.columns) + 1}")
            return self.columns[-1]

    def post_score(self, platform: Any, lineitem_url: str, score: Any) -> None:
        with self.lock:
            self.scores.append((lineitem_url, score.user_id))


class Platforms:
    def by_id(self, platform_id: int) -> object:
        return object()


@pytest.mark.parametrize("database", ["postgres"], indirect=True)
def test_two_replicas_create_a_new_column_once(database: Database) -> None:
    now = datetime.now(UTC)
    with database.engine.begin() as conn:
        platform_id = conn.execute(insert(lti_platforms).values(
            issuer="https://lms.example", client_id="c", deployment_ids=["d"], auth_login_url="https://lms.example/a",
            auth_token_url="https://lms.example/t", keyset_url="https://lms.example/k", created=now)
            .returning(lti_platforms.c.id)).scalar_one()
        item = conn.execute(insert(lti_line_items).values(
            platform_id=platform_id, lineitems_url="https://lms.example/course/lineitems", lesson=LESSON,
            created=now).returning(lti_line_items.c.id)).scalar_one()
        for subject in ("ada", "grace"):
            link = conn.execute(insert(lti_links).values(
                issuer="https://lms.example", subject=subject, account_key=subject, created=now, last_launch=now)
                .returning(lti_links.c.id)).scalar_one()
            conn.execute(insert(lti_grade_targets).values(line_item_id=item, link_id=link))
    platform = SlowPlatform()
    replicas = [Outbox(database.engine, Platforms(), platform) for _ in range(2)]  # type: ignore[arg-type]
    for account in ("ada", "grace"):
        assert replicas[0].score_changed(account, LESSON, 7.0, 10.0) == 1
    results: list[Any] = []
    first = threading.Thread(target=lambda: results.append(replicas[0].deliver_due()))
    first.start()
    assert platform.searching.wait(10)  # the first replica is asking the platform about the column...
    second = threading.Thread(target=lambda: results.append(replicas[1].deliver_due()))
    second.start()  # ...when the second takes the other learner's entry
    first.join(30)
    second.join(30)
    assert not first.is_alive() and not second.is_alive()
    assert sorted(r.sent for r in results) == [0, 2] or sorted(r.sent for r in results) == [1, 1]
    assert len(platform.columns) == 1, platform.columns
    assert sorted(user for _, user in platform.scores) == ["ada", "grace"]
    assert {url for url, _ in platform.scores} == set(platform.columns)
    with database.engine.connect() as conn:
        assert conn.execute(select(lti_line_items.c.lineitem_url)).scalars().all() == platform.columns
        assert set(conn.execute(select(lti_outbox.c.status)).scalars()) == {"sent"}
