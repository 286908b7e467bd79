"""`rnnlab lti ...`: register platforms, show the URLs to give an LMS, rotate the tool key, inspect the outbox.

app/cli.py adds these with `add_lti_commands(sub)` and dispatches `args.lti_command` to `run_lti_command`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import Engine

from app.lti.keys import ToolKeys
from app.lti.outbox import outbox_entries
from app.lti.registration import Platform, PlatformStore, StoredPlatform
from app.lti.storage import SqlPlatforms
from app.lti.urls import InsecureUrl, check_url

USAGE_ERROR = 2


def add_platform(platforms: PlatformStore, platform: Platform, *, allow_loopback_http: bool = False) -> StoredPlatform:
    """Validates the URLs (https only) and saves; registering the same issuer + client id again updates it."""
    return platforms.save(platform.check_urls(allow_loopback_http=allow_loopback_http))


def tool_urls(tool_url: str) -> dict[str, str]:
    base = tool_url.rstrip("/")
    return {"target_link_uri": base + "/lessons/<slug>", "oidc_initiation_url": base + "/lti/login",
            "redirect_uri": base + "/lti/launch", "public_jwk_url": base + "/lti/jwks.json"}


def canvas_config(tool_url: str, title: str = "RNN Lab") -> dict[str, object]:
    """Canvas's LTI 1.3 JSON configuration (Developer Keys -> + LTI Key -> Method: Enter URL or Paste JSON)."""
    urls = tool_urls(tool_url)
    course_link = urls["target_link_uri"].replace("/<slug>", "")
    # A new window: our session cookie is first-party there (lessons do not render inside the LMS frame yet).
    placement = {"message_type": "LtiResourceLinkRequest", "target_link_uri": course_link, "windowTarget": "_blank"}
    return {
        "title": title,
        "description": "Auto-graded exercises on recurrent neural networks (RNN, LSTM, GRU).",
        "oidc_initiation_url": urls["oidc_initiation_url"],
        "target_link_uri": course_link,
        "public_jwk_url": urls["public_jwk_url"],
        "scopes": ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                   "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
                   "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
                   "https://purl.imsglobal.org/spec/lti-ags/scope/score"],
        "extensions": [{"platform": "canvas.instructure.com", "privacy_level": "name_only", "settings": {
            "placements": [{"placement": "link_selection", **placement},
                           {"placement": "assignment_selection", **placement}]}}],
        "custom_fields": {},
    }


def add_lti_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    lti = sub.add_parser("lti", help="LTI 1.3: connect RNN Lab to Canvas or Moodle (docs/lti.md)")
    lti_sub = lti.add_subparsers(dest="lti_command", required=True)
    add = lti_sub.add_parser("add-platform", help="register (or update) an LMS: issuer + client id + its URLs")
    add.add_argument("--issuer", required=True, help="the platform's iss, e.g. https://canvas.instructure.com")
    add.add_argument("--client-id", required=True, help="the client id the LMS gave RNN Lab")
    add.add_argument("--deployment-id", action="append", required=True, dest="deployment_ids",
                     help="a deployment id whose launches are accepted (repeat for several)")
    add.add_argument("--auth-login-url", required=True, help="the LMS's OIDC authorization endpoint")
    add.add_argument("--auth-token-url", required=True, help="the LMS's OAuth 2 token endpoint")
    add.add_argument("--keyset-url", required=True, help="the LMS's public JWKS URL")
    add.add_argument("--token-audience", help="aud for our token request if not the token URL")
    add.add_argument("--name", default="", help="a label for people")
    lti_sub.add_parser("platforms", help="list registered platforms")
    config = lti_sub.add_parser("config", help="print the URLs to enter in the LMS")
    config.add_argument("--tool-url", help="public base URL of RNN Lab (default: the configured one)")
    lti_sub.add_parser("outbox", help="grades waiting for (or sent to) the LMS, with the last error of each")
    lti_sub.add_parser("rotate-key", help="add a new signing key (the old one stays published until retired)")


def run_lti_command(args: argparse.Namespace, *, engine: Engine, data_dir: Path, tool_url: str | None,
                    allow_loopback_http: bool = False, say: Callable[[str], None] = print) -> int:
    platforms = SqlPlatforms(engine)
    if args.lti_command == "add-platform":
        try:
            platform = Platform(issuer=args.issuer, client_id=args.client_id, deployment_ids=args.deployment_ids,
                                auth_login_url=args.auth_login_url, auth_token_url=args.auth_token_url,
                                keyset_url=args.keyset_url, token_audience=args.token_audience, name=args.name)
            saved = add_platform(platforms, platform, allow_loopback_http=allow_loopback_http)
        except ValidationError as exc:
            first = exc.errors()[0]
            say(f"rnnlab: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
            return USAGE_ERROR
        except InsecureUrl as exc:
            say(f"rnnlab: {exc}")
            return USAGE_ERROR
        say(f"registered {saved.issuer} (client id {saved.client_id}, deployments "
            f"{', '.join(saved.deployment_ids)}) as platform {saved.id}")
        return 0
    if args.lti_command == "platforms":
        for p in platforms.all():
            say(json.dumps(p.model_dump(), default=list))
        return 0
    if args.lti_command == "config":
        url = getattr(args, "tool_url", None) or tool_url
        if not url:
            say("rnnlab: give --tool-url (the public https URL of RNN Lab)")
            return USAGE_ERROR
        try:
            check_url(url, allow_loopback_http=allow_loopback_http)
        except InsecureUrl as exc:
            say(f"rnnlab: {exc}")
            return USAGE_ERROR
        for name, value in tool_urls(url).items():
            say(f"{name}: {value}")
        say("canvas_json_url: " + url.rstrip("/") + "/lti/canvas.json")
        return 0
    if args.lti_command == "outbox":
        for e in outbox_entries(engine):
            error = f" last error: {e.last_error}" if e.last_error else ""
            say(f"{e.status:8} {e.issuer} {e.subject} {e.lesson} {e.score_given:g}/{e.score_maximum:g} "
                f"attempts={e.attempts} next={e.next_attempt:%Y-%m-%d %H:%M:%S}Z{error}")
        return 0
    if args.lti_command == "rotate-key":
        key = ToolKeys.in_data_dir(data_dir).rotate()
        say(f"new signing key {key.kid}; the previous keys stay published in /lti/jwks.json")
        return 0
    say(f"rnnlab: unknown lti command {args.lti_command!r}")
    return USAGE_ERROR
