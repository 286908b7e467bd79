"""Assignment and Grade Services 2.0: an access token (client assertion signed with our key), line items, scores."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import jwt
from pydantic import BaseModel, ConfigDict, ValidationError

from app.lti.claims import SCOPE_LINEITEM, SCOPE_SCORE
from app.lti.errors import GradeServiceError
from app.lti.keys import ALGORITHM, ToolKeys
from app.lti.registration import Platform
from app.lti.urls import InsecureUrl, append_path, check_url

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
TOKEN_MARGIN_S = 60  # renew a little before the platform's expiry, never send a token that dies in flight
MAX_PAGES = 20  # line item containers are paged; a course with more than this many pages of columns is odd


class TokenAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    access_token: str
    token_type: str = "Bearer"
    expires_in: int = 3600


class LineItem(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str
    resourceId: str | None = None  # noqa: N815 - the AGS field name
    label: str | None = None


@dataclass(frozen=True)
class Score:
    user_id: str
    score_given: float
    score_maximum: float
    timestamp: datetime  # when the score changed here; platforms ignore a score older than the one they hold
    activity_progress: str = "Completed"
    grading_progress: str = "FullyGraded"

    def as_json(self) -> dict[str, Any]:
        return {"userId": self.user_id, "scoreGiven": self.score_given, "scoreMaximum": self.score_maximum,
                "activityProgress": self.activity_progress, "gradingProgress": self.grading_progress,
                "timestamp": self.timestamp.isoformat(timespec="milliseconds")}


def _fail(what: str, response: httpx.Response) -> GradeServiceError:
    body = response.text[:300].replace("\n", " ")
    return GradeServiceError(f"{what}: HTTP {response.status_code} {body}".rstrip(), f"http_{response.status_code}")


class AgsClient:
    """Thread-safe. Tokens are cached per platform and scope set until shortly before they expire."""

    def __init__(self, http: httpx.Client, keys: ToolKeys, *, allow_loopback_http: bool,
                 clock: Callable[[], float] = time.time) -> None:
        self.http = http
        self.keys = keys
        self.allow_loopback_http = allow_loopback_http
        self.clock = clock
        self._tokens: dict[tuple[str, str, tuple[str, ...]], tuple[str, float]] = {}
        self._lock = threading.Lock()
        self.tokens_fetched = 0

    def _url(self, url: str) -> str:
        try:
            return check_url(url, allow_loopback_http=self.allow_loopback_http)
        except InsecureUrl as exc:
            raise GradeServiceError(str(exc), "insecure_url") from None

    def _call(self, method: str, url: str, what: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.request(method, self._url(url), follow_redirects=False, **kwargs)
        except httpx.HTTPError as exc:
            raise GradeServiceError(f"{what}: {type(exc).__name__}: {exc}", "network") from None

    def client_assertion(self, platform: Platform) -> str:
        now = int(self.clock())
        key = self.keys.signing
        claims = {"iss": platform.client_id, "sub": platform.client_id,
                  "aud": platform.token_audience or platform.auth_token_url,
                  "iat": now, "exp": now + 300, "jti": secrets.token_urlsafe(24)}
        return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})

    def access_token(self, platform: Platform, scopes: tuple[str, ...]) -> str:
        """A bearer token for exactly these scopes. We ask per operation (line items, or scores) because a
        platform may grant only the score scope (Moodle's "grade sync only" names the column in the launch)."""
        cache_key = (platform.issuer, platform.client_id, tuple(sorted(scopes)))
        with self._lock:
            cached = self._tokens.get(cache_key)
            if cached and cached[1] > self.clock():
                return cached[0]
        response = self._call("POST", platform.auth_token_url, "token request", data={
            "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.client_assertion(platform), "scope": " ".join(scopes)},
            headers={"Accept": "application/json"})
        if response.status_code != 200:
            raise _fail("token request", response)
        try:
            answer = TokenAnswer.model_validate_json(response.content)
        except ValidationError as exc:
            raise GradeServiceError(f"token request: not a token answer: {exc.errors()[0]['msg']}", "bad_token") from None
        self.tokens_fetched += 1
        with self._lock:
            self._tokens[cache_key] = (answer.access_token,
                                       self.clock() + max(0, answer.expires_in - TOKEN_MARGIN_S))
        return answer.access_token

    def forget_token(self, platform: Platform) -> None:
        with self._lock:
            for key in [k for k in self._tokens if k[:2] == (platform.issuer, platform.client_id)]:
                del self._tokens[key]

    def _authorized(self, platform: Platform, scope: str, method: str, url: str, what: str, accept: str,
                    **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.access_token(platform, (scope,))}", "Accept": accept,
                   **kwargs.pop("headers", {})}
        response = self._call(method, url, what, headers=headers, **kwargs)
        if response.status_code == 401:
            self.forget_token(platform)  # revoked or expired early: the next attempt asks for a new one
        return response

    def find_line_item(self, platform: Platform, lineitems_url: str, resource_id: str) -> str | None:
        url: str | None = lineitems_url
        params: dict[str, str] | None = {"resource_id": resource_id}
        for _ in range(MAX_PAGES):
            if url is None:
                return None
            response = self._authorized(platform, SCOPE_LINEITEM, "GET", url, "line items", LINEITEMS, params=params)
            if response.status_code != 200:
                raise _fail("line items", response)
            try:
                body = response.json()
                if not isinstance(body, list):
                    # Not "no such column": an answer we cannot read must never lead to creating a second one.
                    raise TypeError("not a list")
                items = [LineItem.model_validate(item) for item in body]
            except (ValueError, TypeError, ValidationError):
                raise GradeServiceError("line items: the platform's answer is not a list of line items",
                                        "bad_line_items") from None
            # The filter is a hint some platforms ignore: match resourceId ourselves.
            for item in items:
                if item.resourceId == resource_id:
                    return self._url(item.id)
            url, params = response.links.get("next", {}).get("url"), None
        if url is None:
            return None
        raise GradeServiceError(f"line items: more than {MAX_PAGES} pages; not creating a column that may exist",
                                "too_many_line_items")

    def create_line_item(self, platform: Platform, lineitems_url: str, resource_id: str, label: str,
                         score_maximum: float, resource_link_id: str | None) -> str:
        body: dict[str, Any] = {"scoreMaximum": score_maximum, "label": label, "resourceId": resource_id,
                                "tag": "rnnlab"}
        if resource_link_id:
            body["resourceLinkId"] = resource_link_id
        response = self._authorized(platform, SCOPE_LINEITEM, "POST", lineitems_url, "create line item", LINEITEM,
                                    json=body, headers={"Content-Type": LINEITEM})
        if response.status_code not in (200, 201):
            raise _fail("create line item", response)
        try:
            return self._url(LineItem.model_validate_json(response.content).id)
        except ValidationError:
            raise GradeServiceError("create line item: the answer has no line item id", "bad_line_item") from None

    def find_or_create_line_item(self, platform: Platform, lineitems_url: str, resource_id: str, label: str,
                                 score_maximum: float, resource_link_id: str | None) -> str:
        found = self.find_line_item(platform, lineitems_url, resource_id)
        return found or self.create_line_item(platform, lineitems_url, resource_id, label, score_maximum,
                                              resource_link_id)

    def post_score(self, platform: Platform, lineitem_url: str, score: Score) -> None:
        response = self._authorized(platform, SCOPE_SCORE, "POST", append_path(lineitem_url, "scores"), "post score",
                                    "application/json", json=score.as_json(), headers={"Content-Type": SCORE})
        if response.status_code not in (200, 201, 202, 204):
            raise _fail("post score", response)
