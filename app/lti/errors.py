"""Typed LTI errors. Domain code raises these; only app/lti/routes.py turns them into HTTP responses."""

from __future__ import annotations


class LtiError(Exception):
    """Base class. `code` is stable (tests and logs read it); the message is for the person who sees the page."""

    code = "lti_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class LoginRefused(LtiError):
    """The OIDC login initiation cannot start (unknown platform, bad parameters)."""

    code = "login_refused"


class LaunchRefused(LtiError):
    """The launch is not accepted: bad token, state, nonce, audience, deployment, claims. A 4xx, never a 500."""

    code = "launch_refused"


class StateCookieMissing(LaunchRefused):
    """The browser did not bring the state cookie back: most often third-party cookies blocked in the LMS frame."""

    code = "state_cookie_missing"

    def __init__(self, message: str, relaunch_url: str | None) -> None:
        super().__init__(message)
        self.relaunch_url = relaunch_url


class PlatformUnavailable(LtiError):
    """The platform's keys could not be fetched (network, status, malformed JWKS): a 502, try again later."""

    code = "platform_unavailable"


class GradeServiceError(LtiError):
    """A token or AGS call failed; the outbox keeps the message and retries."""

    code = "grade_service_error"
