"""The platforms' public keys: fetched over HTTPS, cached, refetched (rate-limited) when a new kid shows up."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKError, PyJWKSetError

from app.lti.errors import PlatformUnavailable
from app.lti.urls import InsecureUrl, check_url

MAX_JWKS_BYTES = 256 * 1024  # a keyset is a few KiB; this bounds what a hostile URL can make us parse


@dataclass
class _Entry:
    keys: dict[str, PyJWK]
    fetched: float


class JwksCache:
    """Keys by kid for each keyset URL. A kid we have not seen triggers one refetch, at most every `min_refresh_s`
    per URL, so a token with a made-up kid cannot make us hammer the platform (or be used to DoS it)."""

    def __init__(self, http: httpx.Client, *, allow_loopback_http: bool, ttl_s: float = 3600.0,
                 min_refresh_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.http = http
        self.allow_loopback_http = allow_loopback_http
        self.ttl_s = ttl_s
        self.min_refresh_s = min_refresh_s
        self.clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self.fetches = 0

    def key(self, keyset_url: str, kid: str | None) -> PyJWK | None:
        """The key for kid (or the only key when the token names none), else None."""
        with self._lock:
            entry = self._entries.get(keyset_url)
            now = self.clock()
            stale = entry is None or now - entry.fetched > self.ttl_s
            unknown = entry is not None and _pick(entry.keys, kid) is None
            if stale or (unknown and entry is not None and now - entry.fetched > self.min_refresh_s):
                entry = self._entries[keyset_url] = _Entry(self._fetch(keyset_url), now)
            assert entry is not None
            return _pick(entry.keys, kid)

    def _fetch(self, url: str) -> dict[str, PyJWK]:
        try:
            check_url(url, allow_loopback_http=self.allow_loopback_http)
        except InsecureUrl as exc:
            raise PlatformUnavailable(f"the platform's keyset URL is refused: {exc}") from None
        self.fetches += 1
        try:
            response = self.http.get(url, headers={"Accept": "application/json"}, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise PlatformUnavailable(f"could not fetch the platform's keys from {url}: {exc}") from None
        if response.status_code != 200:
            raise PlatformUnavailable(f"the platform's keyset URL {url} answered HTTP {response.status_code}")
        if len(response.content) > MAX_JWKS_BYTES:
            raise PlatformUnavailable(f"the platform's keyset at {url} is over {MAX_JWKS_BYTES} bytes")
        try:
            keyset = PyJWKSet.from_dict(response.json())
        except (ValueError, PyJWKError, PyJWKSetError) as exc:
            raise PlatformUnavailable(f"the platform's keyset at {url} is not a JWKS: {exc}") from None
        return {key.key_id or "": key for key in keyset.keys}


def _pick(keys: dict[str, PyJWK], kid: str | None) -> PyJWK | None:
    if kid is not None:
        return keys.get(kid)
    return next(iter(keys.values())) if len(keys) == 1 else None
