"""The tool's RSA signing keys: created once, kept 0600 in DATA_DIR/lti-keys, published as a JWKS with kids."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

KEYS_DIR = "lti-keys"
KEY_BITS = 2048
ALGORITHM = "RS256"  # the one algorithm the IMS Security Framework requires every party to support


class KeyFileError(Exception):
    """The key folder holds something that is not one of our keys (a level-2 start-up error)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def thumbprint(public_jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: a kid that is the same wherever the key is loaded."""
    canonical = json.dumps({k: public_jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return _b64(hashlib.sha256(canonical.encode("ascii")).digest())


@dataclass(frozen=True)
class ToolKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    path: Path

    def public_jwk(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        assert isinstance(jwk, dict)
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}


def _load(path: Path) -> ToolKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as exc:
        raise KeyFileError(f"{path}: not a PEM private key ({exc}); move it out of the folder") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyFileError(f"{path}: not an RSA key")
    jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    assert isinstance(jwk, dict)
    return ToolKey(kid=thumbprint(jwk), private_key=key, path=path)


class ToolKeys:
    """All key files in the folder are published; the newest (file names sort by creation time) signs.

    Rotation: `rotate()` adds a key that signs from then on while the old one stays published, so platforms
    that cached the JWKS still verify; `retire(kid)` removes a key once platforms have refreshed.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._keys = self._load_all()
        if not self._keys:
            self.rotate()

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> ToolKeys:
        return cls(data_dir / KEYS_DIR)

    def _load_all(self) -> list[ToolKey]:
        if not self.folder.exists():
            return []
        return [_load(path) for path in sorted(self.folder.glob("*.pem"))]

    @property
    def signing(self) -> ToolKey:
        return self._keys[-1]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk() for key in reversed(self._keys)]}

    def rotate(self) -> ToolKey:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.pem"
        # O_EXCL and 0600 from the first byte: the private key is never readable by anyone else, even briefly.
        fd = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        # Two processes starting at once may each create one; both are then published and the newest signs.
        self._keys = self._load_all()
        return self.signing

    def retire(self, kid: str) -> None:
        if len(self._keys) < 2:
            raise KeyFileError("cannot retire the only key; rotate first")
        for key in self._keys:
            if key.kid == kid:
                key.path.unlink()
        self._keys = self._load_all()
