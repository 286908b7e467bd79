"""LtiTool: the LTI parts wired together over one database engine and one HTTP client. No web framework here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import httpx
from sqlalchemy import Engine

from app.lti.ags import AgsClient
from app.lti.jwks import JwksCache
from app.lti.keys import ToolKeys
from app.lti.launch import LaunchValidator
from app.lti.outbox import Outbox
from app.lti.ports import AccountMapper, Lessons, LinkStore
from app.lti.registration import PlatformStore
from app.lti.storage import SqlGradeTargets, SqlLinks, SqlNonces, SqlPlatforms
from app.lti.urls import check_url

HTTP_TIMEOUT_S = 10.0


def _now() -> datetime:
    return datetime.now(UTC)


def _lesson_url(slug: str) -> str:
    return f"/lessons/{slug}"


@dataclass
class LtiTool:
    """Everything the router and the integrator need. Build it with `LtiTool.create(...)`."""

    tool_url: str  # public base URL, e.g. https://rnnlab.example.org (what platforms are configured with)
    platforms: PlatformStore
    links: LinkStore
    grade_targets: SqlGradeTargets
    keys: ToolKeys
    validator: LaunchValidator
    ags: AgsClient
    outbox: Outbox
    accounts: AccountMapper
    lessons: Lessons
    secure_cookies: bool
    lesson_url: Callable[[str], str] = _lesson_url
    now: Callable[[], datetime] = field(default=_now)

    @classmethod
    def create(cls, *, engine: Engine, data_dir: Path, tool_url: str, accounts: AccountMapper,
               lessons: Lessons, allow_loopback_http: bool = False,
               http: httpx.Client | None = None, lesson_url: Callable[[str], str] = _lesson_url,
               now: Callable[[], datetime] = _now) -> LtiTool:
        """`allow_loopback_http` lets platform and tool URLs on 127.0.0.0/8, ::1 or localhost use plain http
        (tests, a local Moodle); every other URL must be https whatever it says."""
        tool_url = check_url(tool_url.rstrip("/"), allow_loopback_http=allow_loopback_http)
        http = http or httpx.Client(timeout=HTTP_TIMEOUT_S, headers={"User-Agent": "RNN Lab LTI"})
        platforms = SqlPlatforms(engine)
        keys = ToolKeys.in_data_dir(data_dir)
        ags = AgsClient(http, keys, allow_loopback_http=allow_loopback_http)
        validator = LaunchValidator(platforms, SqlNonces(engine),
                                    JwksCache(http, allow_loopback_http=allow_loopback_http), lessons,
                                    redirect_uri=tool_url + "/lti/launch", now=now)
        return cls(tool_url=tool_url, platforms=platforms, links=SqlLinks(engine),
                   grade_targets=SqlGradeTargets(engine), keys=keys, validator=validator, ags=ags,
                   outbox=Outbox(engine, platforms, ags, now=now), accounts=accounts,
                   lessons=lessons, secure_cookies=tool_url.startswith("https://"), lesson_url=lesson_url, now=now)

    def relaunch_url(self, login: dict[str, str]) -> str:
        """The login initiation again, to open in a new window where the state cookie is first-party."""
        return f"{self.tool_url}/lti/login?{urlencode(login)}"
