"""Learner identity: the secret key survives restarts; cookies are signed and forged ones are ignored."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from app.identity import SECRET_FILE, LearnerCookie, load_secret_key


def test_random_key_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    key = load_secret_key(None, tmp_path / "data")
    assert len(key) >= 32 and load_secret_key(None, tmp_path / "data") == key
    assert stat.S_IMODE((tmp_path / "data" / SECRET_FILE).stat().st_mode) == 0o600
    assert load_secret_key("configured-key", tmp_path / "other") == "configured-key"
    assert not (tmp_path / "other").exists()


def test_a_truncated_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / SECRET_FILE).write_text("short\n")
    with pytest.raises(ValueError, match="too short"):
        load_secret_key(None, tmp_path)


def test_cookie_round_trip_and_forgeries() -> None:
    cookie = LearnerCookie("k" * 40)
    value = cookie.dumps(7)
    assert cookie.loads(value) == 7
    assert LearnerCookie("other" * 10).loads(value) is None
    assert cookie.loads(None) is None and cookie.loads("") is None and cookie.loads("7") is None
    assert cookie.loads(value + "x") is None
