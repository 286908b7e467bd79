"""The id_token of an LTI 1.3 resource link launch, parsed once into typed claims; LTI roles mapped to ours."""

from __future__ import annotations

import enum
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LESSON_PATH = re.compile(r"/lessons/([a-z0-9]+(?:-[a-z0-9]+)*)/?$")

Id = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class MappedRole(enum.StrEnum):
    """Our roles (the same names as app.accounts.Role); each includes the ones before it."""

    learner = "learner"
    instructor = "instructor"
    admin = "admin"


# Institution and system administrators of the LMS administer the LMS; they get `admin` here too (docs/lti.md
# says how to cap it). Course-level staff are instructors. Everyone else, including unknown roles, is a learner.
ADMIN_ROLES = {
    LIS + "system/person#Administrator",
    LIS + "system/person#SysAdmin",
    LIS + "institution/person#Administrator",
}
INSTRUCTOR_ROLES = {
    LIS + "membership#Instructor",
    LIS + "membership#ContentDeveloper",
    LIS + "membership#Administrator",
    LIS + "membership/Instructor#TeachingAssistant",
    LIS + "institution/person#Instructor",
    LIS + "institution/person#Faculty",
    # LTI 1.3 still allows the short context role names of LTI 1.1.
    "Instructor", "ContentDeveloper", "TeachingAssistant",
}


def map_roles(roles: list[str]) -> MappedRole:
    given = set(roles)
    if given & ADMIN_ROLES:
        return MappedRole.admin
    if given & INSTRUCTOR_ROLES or any(r.startswith(LIS + "membership/Instructor#") for r in given):
        return MappedRole.instructor
    return MappedRole.learner


class _Claims(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class ResourceLink(_Claims):
    id: Id
    title: str | None = None


class Context(_Claims):
    id: Id
    title: str | None = None
    label: str | None = None


class AgsEndpoint(_Claims):
    scope: list[str] = Field(default_factory=list)
    lineitems: AnyHttpUrl | None = None
    lineitem: AnyHttpUrl | None = None

    @property
    def can_post_scores(self) -> bool:
        # Posting needs the score scope and a column: the launch's own line item, or the right to make ours.
        return SCOPE_SCORE in self.scope and (
            self.lineitem is not None or (self.lineitems is not None and SCOPE_LINEITEM in self.scope))


class LaunchClaims(_Claims):
    """The claims we use, by their LTI names. Anything else in the token is ignored."""

    iss: Id
    sub: Id  # LTI 1.3 makes `sub` optional only for anonymous launches, which cannot be graded or mapped
    aud: str | list[str]
    azp: str | None = None
    nonce: Id
    message_type: Literal["LtiResourceLinkRequest"] = Field(alias=LTI + "message_type")
    version: Literal["1.3.0"] = Field(alias=LTI + "version")
    deployment_id: Id = Field(alias=LTI + "deployment_id")
    target_link_uri: str = Field(alias=LTI + "target_link_uri")
    resource_link: ResourceLink = Field(alias=LTI + "resource_link")
    roles: list[str] = Field(alias=LTI + "roles")
    context: Context | None = Field(None, alias=LTI + "context")
    custom: dict[str, Any] = Field(default_factory=dict, alias=LTI + "custom")
    ags: AgsEndpoint | None = Field(None, alias=AGS_CLAIM)
    name: str | None = None
    email: str | None = None

    def lesson_slug(self) -> str | None:
        """The lesson named by the link: custom parameter `lesson=<slug>`, else a /lessons/<slug> target URL."""
        custom = self.custom.get("lesson")
        if isinstance(custom, str) and SLUG.match(custom.strip()):
            return custom.strip()
        match = LESSON_PATH.search(urlsplit(self.target_link_uri).path)
        return match.group(1) if match else None


class Launch(BaseModel):
    """A validated launch: who, from where, in which role, for which lesson, and where their grade goes."""

    model_config = ConfigDict(frozen=True)

    platform_id: int
    issuer: str
    client_id: str
    deployment_id: str
    subject: str
    role: MappedRole
    roles: tuple[str, ...]
    lesson: str
    resource_link_id: str
    context_id: str | None
    context_title: str | None
    name: str | None
    email: str | None
    ags: AgsEndpoint | None
