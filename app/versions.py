"""What a report was made with: the grader's version (package version + a hash of graders/) and a lesson's (its files)."""

from __future__ import annotations

import functools
import hashlib
from importlib import metadata
from pathlib import Path

import graders

HASH_CHARS = 12


def _digest(root: Path, pattern: str) -> str:
    """SHA-256 over the relative names and bytes of every file under root matching pattern, in a fixed order."""
    sha = hashlib.sha256()
    for path in sorted(p for p in root.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts):
        sha.update(str(path.relative_to(root)).encode() + b"\0")
        sha.update(path.read_bytes() + b"\0")
    return sha.hexdigest()[:HASH_CHARS]


@functools.cache
def grader_version() -> str:
    """'0.1.0+1a2b3c4d5e6f': computed once per process (the grader's code does not change under a running server)."""
    try:
        release = metadata.version("rnn-lab")
    except metadata.PackageNotFoundError:
        release = "0"
    return f"{release}+{_digest(Path(graders.__file__).parent, '*.py')}"


def lesson_version(folder: Path) -> str:
    """A hash of every file in the lesson folder (lesson.md, grading.toml, data, solution...): any edit changes it."""
    return _digest(folder, "*")
