"""OIDC login initiation (state + nonce) and launch validation (signature, claims, nonce, state, deployment)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import jwt
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from app.lti.claims import Launch, LaunchClaims, map_roles
from app.lti.errors import LaunchRefused, LoginRefused, StateCookieMissing
from app.lti.jwks import JwksCache
from app.lti.keys import ALGORITHM
from app.lti.ports import Lessons, NonceStore, PendingLogin
from app.lti.registration import PlatformStore, StoredPlatform

STATE_LIFETIME = timedelta(minutes=10)  # login -> launch takes seconds; long enough for a slow LMS page
CLOCK_SKEW_S = 60  # leeway for exp/iat between our clock and the platform's
MAX_TOKEN_CHARS = 64 * 1024
MAX_TOKEN_AGE = timedelta(hours=1)  # an id_token issued longer ago than this is refused even if exp is far off


# Each login stores its parameters (to offer a relaunch); bound them so a caller cannot make us store megabytes.
Param = Annotated[str, StringConstraints(min_length=1, max_length=2048)]


class LoginRequest(BaseModel):
    """The third-party initiated login the platform sends (GET query or POST form)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    iss: Param
    login_hint: Param
    target_link_uri: Param
    lti_message_hint: Param | None = None
    client_id: Param | None = None
    lti_deployment_id: Param | None = None


@dataclass(frozen=True)
class LoginRedirect:
    url: str
    state: str
    nonce: str


def _token() -> str:
    return secrets.token_urlsafe(32)


class LaunchValidator:
    """Both halves of the LTI 1.3 launch; the routes layer adds cookies and HTTP."""

    def __init__(self, platforms: PlatformStore, nonces: NonceStore, jwks: JwksCache, lessons: Lessons,
                 redirect_uri: str, now: Callable[[], datetime]) -> None:
        self.platforms = platforms
        self.nonces = nonces
        self.jwks = jwks
        self.lessons = lessons
        self.redirect_uri = redirect_uri
        self.now = now

    def begin_login(self, request: LoginRequest) -> LoginRedirect:
        platform = self.platforms.get(request.iss, request.client_id)
        if platform is None:
            raise LoginRefused(f"No platform is registered for issuer {request.iss!r}"
                               + (f" and client id {request.client_id!r}" if request.client_id else "")
                               + "; an administrator registers it with `rnnlab lti add-platform`.", "unknown_platform")
        if request.lti_deployment_id and request.lti_deployment_id not in platform.deployment_ids:
            raise LoginRefused(f"Deployment {request.lti_deployment_id!r} of {platform.issuer} is not registered.",
                               "unknown_deployment")
        state, nonce = _token(), _token()
        self.nonces.add(PendingLogin(nonce=nonce, state=state, issuer=platform.issuer, client_id=platform.client_id,
                                     login=request.model_dump(exclude_none=True),
                                     expires=self.now() + STATE_LIFETIME, used=None))
        params = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
                  "client_id": platform.client_id, "redirect_uri": self.redirect_uri,
                  "login_hint": request.login_hint, "state": state, "nonce": nonce}
        if request.lti_message_hint:
            params["lti_message_hint"] = request.lti_message_hint
        separator = "&" if "?" in platform.auth_login_url else "?"
        return LoginRedirect(url=platform.auth_login_url + separator + urlencode(params), state=state, nonce=nonce)

    def validate(self, id_token: str | None, state: str | None, cookie_state: str | None,
                 relaunch: Callable[[dict[str, Any]], str] | None = None) -> Launch:
        """The launch, or LaunchRefused saying why. Consumes the state (and so the nonce): one launch per login."""
        if not id_token or not state:
            raise LaunchRefused("The launch carries no id_token or no state: start it again from the course.",
                                "missing_parameters")
        if len(id_token) > MAX_TOKEN_CHARS or len(state) > 100:
            raise LaunchRefused("The launch parameters are too long.", "malformed")
        pending = self.nonces.peek(state)
        if pending is None or pending.expires <= self.now():
            raise LaunchRefused("This launch's state is unknown or has expired: start it again from the course.",
                                "state_unknown")
        if pending.used is not None:
            raise LaunchRefused("This launch was already used (a replayed nonce): start it again from the course.",
                                "nonce_replayed")
        if cookie_state is None:
            url = relaunch(pending.login) if relaunch else None
            raise StateCookieMissing(
                "Your browser did not send back the cookie this launch set. That happens when the course page "
                "shows RNN Lab in a frame and the browser blocks third-party cookies. Open the activity in a new "
                "window to continue.", url)
        if not secrets.compare_digest(cookie_state, state):
            raise LaunchRefused("The launch's state does not match this browser's: start it again from the course.",
                                "state_mismatch")
        platform = self.platforms.get(pending.issuer, pending.client_id)
        if platform is None:
            raise LaunchRefused(f"The platform {pending.issuer!r} is no longer registered.", "unknown_platform")
        claims = self._verify(id_token, platform)
        if not secrets.compare_digest(str(claims.get("nonce", "")), pending.nonce):
            raise LaunchRefused("The id_token's nonce is not the one this login issued (a replayed or swapped "
                                "token).", "nonce_mismatch")
        launch = self._parse(claims, platform)
        if not self.nonces.consume(state, self.now()):
            raise LaunchRefused("This launch was already used (a replayed nonce): start it again from the course.",
                                "nonce_replayed")
        return launch

    def _verify(self, id_token: str, platform: StoredPlatform) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.DecodeError:
            raise LaunchRefused("The id_token is not a JWT.", "malformed_token") from None
        if header.get("alg") != ALGORITHM:
            raise LaunchRefused(f"The id_token is signed with {header.get('alg')!r}; LTI 1.3 requires RS256.",
                                "bad_algorithm")
        kid = header.get("kid")
        key = self.jwks.key(platform.keyset_url, kid if isinstance(kid, str) else None)
        if key is None:
            raise LaunchRefused(f"The platform's keyset has no key {kid!r} for this id_token.", "unknown_key")
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token, key, algorithms=[ALGORITHM], audience=platform.client_id, issuer=platform.issuer,
                leeway=CLOCK_SKEW_S, options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]})
        except jwt.ExpiredSignatureError:
            raise LaunchRefused("The id_token has expired: start the launch again from the course.",
                                "token_expired") from None
        except jwt.InvalidAudienceError:
            raise LaunchRefused(f"The id_token is not addressed to this tool (audience is not client id "
                                f"{platform.client_id!r}).", "wrong_audience") from None
        except jwt.InvalidIssuerError:
            raise LaunchRefused(f"The id_token was not issued by {platform.issuer!r}.", "wrong_issuer") from None
        except jwt.InvalidSignatureError:
            raise LaunchRefused("The id_token's signature does not verify against the platform's keys (forged or "
                                "tampered).", "bad_signature") from None
        except jwt.MissingRequiredClaimError as exc:
            raise LaunchRefused(f"The id_token lacks the {exc.claim!r} claim.", "missing_claim") from None
        except jwt.InvalidTokenError as exc:
            raise LaunchRefused(f"The id_token is not valid: {exc}.", "invalid_token") from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        azp = claims.get("azp")
        if (len(audiences) > 1 and azp is None) or (azp is not None and azp != platform.client_id):
            raise LaunchRefused("The id_token's authorized party (azp) is not this tool.", "wrong_azp")
        iat = claims["iat"]
        if not isinstance(iat, int | float) or self.now().timestamp() - iat > MAX_TOKEN_AGE.total_seconds():
            raise LaunchRefused("The id_token was issued too long ago.", "token_expired")
        return claims

    def _parse(self, claims: dict[str, Any], platform: StoredPlatform) -> Launch:
        try:
            parsed = LaunchClaims.model_validate(claims)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]).removeprefix("https://purl.imsglobal.org/spec/")
            raise LaunchRefused(f"The launch's {where} claim is not acceptable: {first['msg']}.",
                                "bad_claims") from None
        if parsed.deployment_id not in platform.deployment_ids:
            raise LaunchRefused(f"Deployment {parsed.deployment_id!r} of {platform.issuer} is not registered with "
                                "RNN Lab; an administrator adds it with `rnnlab lti add-platform`.",
                                "unknown_deployment")
        lesson = parsed.lesson_slug()
        if lesson is None or not self.lessons.has_lesson(lesson):
            raise LaunchRefused("This link does not name an RNN Lab lesson: set the custom parameter "
                                "lesson=<slug> or point the link at /lessons/<slug>.", "unknown_lesson")
        return Launch(platform_id=platform.id, issuer=parsed.iss, client_id=platform.client_id,
                      deployment_id=parsed.deployment_id, subject=parsed.sub, role=map_roles(parsed.roles),
                      roles=tuple(parsed.roles), lesson=lesson, resource_link_id=parsed.resource_link.id,
                      context_id=parsed.context.id if parsed.context else None,
                      context_title=parsed.context.title if parsed.context else None,
                      name=parsed.name, email=parsed.email, ags=parsed.ags)
