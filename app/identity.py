"""Learner identity: the signed cookie that names an anonymous learner, and the secret key that signs it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer

COOKIE_NAME = "rnnlab_learner"
COOKIE_MAX_AGE_S = 400 * 24 * 3600  # browsers cap cookie lifetimes at 400 days
SECRET_FILE = "secret.key"


def load_secret_key(configured: str | None, data_dir: Path) -> str:
    """The configured key, else a random one created once and kept (mode 0600) in data_dir: cookies survive restarts."""
    if configured:
        return configured
    path = data_dir / SECRET_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once must not each write a different key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 32:
            raise ValueError(f"{path}: the secret key is too short; delete the file to make a new one") from None
        return key
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        key = secrets.token_urlsafe(48)
        fh.write(key + "\n")
    return key


class LearnerCookie:
    """Signs and reads the learner id kept in the browser's cookie."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt="rnnlab.learner")

    def dumps(self, learner_id: int) -> str:
        return self._serializer.dumps(learner_id)

    def loads(self, value: str | None) -> int | None:
        """The learner id, or None when the cookie is missing, forged or malformed."""
        if not value:
            return None
        try:
            learner_id = self._serializer.loads(value)
        except BadSignature:
            return None
        return learner_id if isinstance(learner_id, int) and not isinstance(learner_id, bool) else None
