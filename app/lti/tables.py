"""The LTI tables (SQLAlchemy Core) on their own MetaData; the integrator adds them to the Alembic migrations."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

URL = 2000  # platforms' endpoint URLs; Canvas's are long but nowhere near this
ISSUER = 255
SUBJECT = 255  # the LTI spec caps `sub` at 255 ASCII characters
SLUG = 100

lti_platforms = Table(
    "lti_platforms", metadata,
    Column("id", Integer, primary_key=True),
    Column("issuer", String(ISSUER), nullable=False),
    Column("client_id", String(255), nullable=False),
    Column("name", String(200), nullable=False, server_default=""),
    Column("deployment_ids", JSON, nullable=False),
    Column("auth_login_url", String(URL), nullable=False),
    Column("auth_token_url", String(URL), nullable=False),
    Column("keyset_url", String(URL), nullable=False),
    Column("token_audience", String(URL), nullable=True),
    Column("created", DateTime(timezone=True), nullable=False),
    UniqueConstraint("issuer", "client_id", name="uq_lti_platforms_issuer_client"),
)

# One row per OIDC login initiation: the state the browser must bring back (in its cookie) and the nonce the
# id_token must carry. `used` is set once, atomically, so a replayed launch finds it taken.
lti_nonces = Table(
    "lti_nonces", metadata,
    Column("nonce", String(64), primary_key=True),
    Column("state", String(64), nullable=False, unique=True),
    Column("issuer", String(ISSUER), nullable=False),
    Column("client_id", String(255), nullable=False),
    Column("login", JSON, nullable=False),  # the login request, to restart it in a new window if cookies are blocked
    Column("created", DateTime(timezone=True), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
    Column("used", DateTime(timezone=True), nullable=True),
    Index("ix_lti_nonces_expires", "expires"),
)

# iss + sub -> an opaque account key the integrator's AccountMapper hands out (e.g. str(user.id)).
lti_links = Table(
    "lti_links", metadata,
    Column("id", Integer, primary_key=True),
    Column("issuer", String(ISSUER), nullable=False),
    Column("subject", String(SUBJECT), nullable=False),
    Column("account_key", String(255), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("last_launch", DateTime(timezone=True), nullable=False),
    UniqueConstraint("issuer", "subject", name="uq_lti_links_issuer_subject"),
    Index("ix_lti_links_account", "account_key"),
)

# One gradebook column per (platform, course's line item container, lesson). `lineitem_url` is filled once the
# column is found or created on the platform (or came in the launch's AGS claim); the unique key keeps it single.
lti_line_items = Table(
    "lti_line_items", metadata,
    Column("id", Integer, primary_key=True),
    Column("platform_id", ForeignKey("lti_platforms.id", ondelete="CASCADE"), nullable=False),
    Column("lineitems_url", String(URL), nullable=False),
    Column("lesson", String(SLUG), nullable=False),
    Column("lineitem_url", String(URL), nullable=True),
    Column("resource_link_id", String(255), nullable=True),
    Column("label", String(200), nullable=False, server_default=""),
    Column("created", DateTime(timezone=True), nullable=False),
    UniqueConstraint("platform_id", "lineitems_url", "lesson", name="uq_lti_line_items_column"),
)

# Who launched which column: the learners whose score for the lesson goes to that gradebook column.
lti_grade_targets = Table(
    "lti_grade_targets", metadata,
    Column("id", Integer, primary_key=True),
    Column("line_item_id", ForeignKey("lti_line_items.id", ondelete="CASCADE"), nullable=False),
    Column("link_id", ForeignKey("lti_links.id", ondelete="CASCADE"), nullable=False),
    UniqueConstraint("line_item_id", "link_id", name="uq_lti_grade_targets"),
)

# One row per learner and gradebook column: the latest score we want the platform to have. A newer score
# overwrites an unsent one (and bumps `version`, so a post in flight cannot mark the newer one sent).
lti_outbox = Table(
    "lti_outbox", metadata,
    Column("id", Integer, primary_key=True),
    Column("target_id", ForeignKey("lti_grade_targets.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("score_given", Float, nullable=False),
    Column("score_maximum", Float, nullable=False),
    Column("scored_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # pending | sent
    Column("attempts", Integer, nullable=False),
    Column("next_attempt", DateTime(timezone=True), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("sent_version", Integer, nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Index("ix_lti_outbox_due", "status", "next_attempt"),
)
