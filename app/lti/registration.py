"""A platform registration (one LMS + one client id) and the storage the launch and grades code needs for it."""

from __future__ import annotations

from typing import Annotated, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.lti.urls import check_url

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class Platform(BaseModel):
    """What the LMS administrator gives us when they register RNN Lab (docs/lti.md says where to find each)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: NonEmpty = Field(description="The platform's `iss`, e.g. https://canvas.instructure.com.")
    client_id: NonEmpty = Field(description="The client id the platform gave this tool (Canvas: the developer key id).")
    deployment_ids: tuple[NonEmpty, ...] = Field(
        description="Deployments (installations of the tool in an account or course) whose launches we accept.")
    auth_login_url: str = Field(description="The platform's OIDC authorization endpoint.")
    auth_token_url: str = Field(description="The platform's OAuth 2 token endpoint (for grade services).")
    keyset_url: str = Field(description="The platform's public JWKS URL, used to verify its id_tokens.")
    token_audience: str | None = Field(
        None, description="`aud` of our client assertion when the platform wants something other than the token URL "
                          "(Moodle and Canvas take the token URL; some platforms name their issuer).")
    name: str = Field("", max_length=200, description="A label for people, e.g. 'University Canvas'.")

    @field_validator("deployment_ids")
    @classmethod
    def _some_deployment(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one deployment id is needed")
        return tuple(dict.fromkeys(value))

    def check_urls(self, *, allow_loopback_http: bool) -> Platform:
        for url in (self.auth_login_url, self.auth_token_url, self.keyset_url):
            check_url(url, allow_loopback_http=allow_loopback_http)
        return self


class StoredPlatform(Platform):
    id: int


class PlatformStore(Protocol):
    """Where registrations live (app/lti/storage.py has the SQL one; tests may use a dict)."""

    def get(self, issuer: str, client_id: str | None) -> StoredPlatform | None:
        """The registration for issuer + client id; with no client id, the issuer's only registration (or None)."""
        ...

    def by_id(self, platform_id: int) -> StoredPlatform | None: ...

    def save(self, platform: Platform) -> StoredPlatform:
        """Adds the registration or replaces the one with the same issuer and client id."""
        ...

    def all(self) -> list[StoredPlatform]: ...
