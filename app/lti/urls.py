"""Which URLs we talk to: HTTPS only, plain http for loopback hosts when a test or a local setup allows it."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit

LOOPBACK_NAMES = {"localhost"}


class InsecureUrl(ValueError):
    """A platform URL that is not https (and not an allowed loopback http URL)."""


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_loopback_http: bool) -> str:
    """The URL unchanged, or InsecureUrl. Tokens and keys cross these URLs, so http is never fine elsewhere."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise InsecureUrl(f"{url!r} is not an absolute URL")
    if parts.username or parts.password:
        raise InsecureUrl(f"{url!r} carries credentials")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and allow_loopback_http and is_loopback(parts.hostname):
        return url
    raise InsecureUrl(f"{url!r} must use https (plain http is allowed only for loopback hosts, and only when "
                      "the loopback setting is on)")


def append_path(url: str, segment: str) -> str:
    """`segment` appended to the URL's path, keeping its query: AGS says scores live at {lineitem}/scores."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + segment))
