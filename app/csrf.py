"""CSRF tokens: a random secret in a cookie, and the page's token an HMAC of it under the server key. No web framework.

A cross-site page can make the browser send our cookies but can read neither the cookie nor our pages, so it cannot
produce the token; and a token planted in the cookie by someone else does not verify without the server key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

CSRF_COOKIE = "rnnlab_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
MAX_CHARS = 200


class CsrfTokens:
    def __init__(self, secret_key: str) -> None:
        self._key = hashlib.sha256(("rnnlab.csrf:" + secret_key).encode()).digest()

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)

    def _digest(self, secret: str) -> bytes:
        return hmac.new(self._key, secret.encode("utf-8", "replace"), hashlib.sha256).digest()

    def token_for(self, secret: str) -> str:
        """A fresh mask, then the digest XOR the mask (hex): every response carries different bytes for the same
        secret, so compressing pages cannot leak the token through their sizes (BREACH)."""
        digest = self._digest(secret)
        mask = secrets.token_bytes(len(digest))
        return (mask + bytes(a ^ b for a, b in zip(mask, digest, strict=True))).hex()

    def valid(self, secret: str | None, token: str | None) -> bool:
        if not secret or not token or len(secret) > MAX_CHARS or len(token) > MAX_CHARS:
            return False
        try:
            raw = bytes.fromhex(token)
        except ValueError:
            return False
        digest = self._digest(secret)
        if len(raw) != 2 * len(digest):
            return False
        mask, masked = raw[: len(digest)], raw[len(digest):]
        return hmac.compare_digest(bytes(a ^ b for a, b in zip(mask, masked, strict=True)), digest)
