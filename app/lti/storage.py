"""SQL implementations of the LTI storage Protocols, on the tables of app/lti/tables.py (any SQLAlchemy engine)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.lti.claims import Launch, MappedRole
from app.lti.ports import PendingLogin
from app.lti.registration import Platform, StoredPlatform
from app.lti.tables import lti_grade_targets, lti_line_items, lti_links, lti_nonces, lti_platforms


def utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything we write is UTC.
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _platform(row: Any) -> StoredPlatform:
    return StoredPlatform(id=row.id, issuer=row.issuer, client_id=row.client_id, name=row.name,
                          deployment_ids=tuple(row.deployment_ids), auth_login_url=row.auth_login_url,
                          auth_token_url=row.auth_token_url, keyset_url=row.keyset_url,
                          token_audience=row.token_audience)


class SqlPlatforms:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, issuer: str, client_id: str | None) -> StoredPlatform | None:
        query = select(lti_platforms).where(lti_platforms.c.issuer == issuer)
        if client_id is not None:
            query = query.where(lti_platforms.c.client_id == client_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query.limit(2)).all()
        # Without a client id an issuer with two registrations is ambiguous: refuse rather than guess.
        return _platform(rows[0]) if len(rows) == 1 else None

    def by_id(self, platform_id: int) -> StoredPlatform | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(lti_platforms).where(lti_platforms.c.id == platform_id)).first()
        return _platform(row) if row else None

    def save(self, platform: Platform) -> StoredPlatform:
        values = platform.model_dump()
        values["deployment_ids"] = list(platform.deployment_ids)
        with self.engine.begin() as conn:
            existing = conn.execute(select(lti_platforms.c.id).where(
                lti_platforms.c.issuer == platform.issuer, lti_platforms.c.client_id == platform.client_id)).first()
            if existing:
                conn.execute(update(lti_platforms).where(lti_platforms.c.id == existing.id).values(**values))
                platform_id = existing.id
            else:
                platform_id = conn.execute(insert(lti_platforms).values(
                    **values, created=datetime.now(UTC))).inserted_primary_key[0]  # type: ignore[index]
        return StoredPlatform(id=platform_id, **platform.model_dump())

    def all(self) -> list[StoredPlatform]:
        with self.engine.connect() as conn:
            return [_platform(row) for row in conn.execute(select(lti_platforms).order_by(lti_platforms.c.id))]


class SqlNonces:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, login: PendingLogin) -> None:
        with self.engine.begin() as conn:
            # Expired logins are of no use to anyone: tidy them as we go (cheap, indexed).
            conn.execute(delete(lti_nonces).where(lti_nonces.c.expires < datetime.now(UTC)))
            conn.execute(insert(lti_nonces).values(
                nonce=login.nonce, state=login.state, issuer=login.issuer, client_id=login.client_id,
                login=login.login, created=datetime.now(UTC), expires=login.expires, used=None))

    def peek(self, state: str) -> PendingLogin | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(lti_nonces).where(lti_nonces.c.state == state)).first()
        if row is None:
            return None
        expires = utc(row.expires)
        assert expires is not None
        return PendingLogin(nonce=row.nonce, state=row.state, issuer=row.issuer, client_id=row.client_id,
                            login=dict(row.login), expires=expires, used=utc(row.used))

    def consume(self, state: str, when: datetime) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(update(lti_nonces).where(lti_nonces.c.state == state, lti_nonces.c.used.is_(None))
                                  .values(used=when))
            return result.rowcount == 1


class SqlLinks:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def account_key(self, issuer: str, subject: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(lti_links.c.account_key).where(
                lti_links.c.issuer == issuer, lti_links.c.subject == subject)).scalar()

    def link(self, issuer: str, subject: str, account_key: str, when: datetime) -> int:
        where = (lti_links.c.issuer == issuer, lti_links.c.subject == subject)
        for _ in range(2):  # a concurrent first launch of the same user may insert between our select and insert
            with self.engine.begin() as conn:
                found = conn.execute(select(lti_links.c.id).where(*where)).scalar()
                if found is not None:
                    conn.execute(update(lti_links).where(lti_links.c.id == found)
                                 .values(account_key=account_key, last_launch=when))
                    return int(found)
                try:
                    with conn.begin_nested():
                        return int(conn.execute(insert(lti_links).values(
                            issuer=issuer, subject=subject, account_key=account_key, created=when,
                            last_launch=when)).inserted_primary_key[0])  # type: ignore[index]
                except IntegrityError:
                    continue
        raise RuntimeError("could not record the LTI link")


class SqlGradeTargets:
    """Remembers, per launch with grade services, which gradebook column the learner's lesson score goes to."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record_launch(self, launch: Launch, link_id: int, label: str) -> int | None:
        """The grade target id, or None when this launch takes no grade back: no grade service in the launch, or
        not a learner (platforms refuse scores for staff, e.g. Canvas answers 422, which would only clog the outbox)."""
        ags = launch.ags
        if ags is None or not ags.can_post_scores or launch.role is not MappedRole.learner:
            return None
        # With no container URL (a platform that only gives the link's own column) the column URL keys it.
        container = str(ags.lineitems or ags.lineitem)
        key = (lti_line_items.c.platform_id == launch.platform_id, lti_line_items.c.lineitems_url == container,
               lti_line_items.c.lesson == launch.lesson)
        with self.engine.begin() as conn:
            line_item_id = conn.execute(select(lti_line_items.c.id).where(*key)).scalar()
            if line_item_id is None:
                try:
                    with conn.begin_nested():
                        line_item_id = conn.execute(insert(lti_line_items).values(
                            platform_id=launch.platform_id, lineitems_url=container, lesson=launch.lesson,
                            lineitem_url=str(ags.lineitem) if ags.lineitem else None,
                            resource_link_id=launch.resource_link_id, label=label,
                            created=datetime.now(UTC))).inserted_primary_key[0]  # type: ignore[index]
                except IntegrityError:
                    line_item_id = conn.execute(select(lti_line_items.c.id).where(*key)).scalar_one()
            elif ags.lineitem:
                # The platform made (or moved) the link's column: post where it says.
                conn.execute(update(lti_line_items).where(lti_line_items.c.id == line_item_id)
                             .values(lineitem_url=str(ags.lineitem)))
            target = conn.execute(select(lti_grade_targets.c.id).where(
                lti_grade_targets.c.line_item_id == line_item_id, lti_grade_targets.c.link_id == link_id)).scalar()
            if target is None:
                try:
                    with conn.begin_nested():
                        target = conn.execute(insert(lti_grade_targets).values(
                            line_item_id=line_item_id, link_id=link_id)).inserted_primary_key[0]  # type: ignore[index]
                except IntegrityError:
                    target = conn.execute(select(lti_grade_targets.c.id).where(
                        lti_grade_targets.c.line_item_id == line_item_id,
                        lti_grade_targets.c.link_id == link_id)).scalar_one()
            return int(target)
