"""The seams the integrator wires: storage for launches and links, accounts, the lesson catalog. No web framework
(the one HTTP-side seam, SessionStarter, lives with the router in app/lti/routes.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from app.lti.claims import Launch


@dataclass(frozen=True)
class PendingLogin:
    """What an OIDC login initiation left behind for its launch."""

    nonce: str
    state: str
    issuer: str
    client_id: str
    login: dict[str, Any]
    expires: datetime
    used: datetime | None


class NonceStore(Protocol):
    def add(self, login: PendingLogin) -> None: ...

    def peek(self, state: str) -> PendingLogin | None:
        """The login this state belongs to, used or not (None when unknown or expired)."""
        ...

    def consume(self, state: str, when: datetime) -> bool:
        """Marks the login used; False when it already was (a replay). Atomic: one caller wins."""
        ...


class LinkStore(Protocol):
    """iss + sub -> the account key the AccountMapper gave them."""

    def account_key(self, issuer: str, subject: str) -> str | None: ...

    def link(self, issuer: str, subject: str, account_key: str, when: datetime) -> int:
        """Records (or refreshes) the link and returns its id."""
        ...


class AccountMapper(Protocol):
    """The integrator's accounts (app.accounts): create or update the account an LTI user maps to."""

    def resolve_account(self, launch: Launch, linked: str | None) -> str:
        """The opaque key of the account for this launch. `linked` is the key an earlier launch of the same
        iss + sub got (None on the first launch: create one). Apply `launch.role` here (and any cap on it)."""
        ...


class Lessons(Protocol):
    def has_lesson(self, slug: str) -> bool: ...

    def lesson_title(self, slug: str) -> str: ...
