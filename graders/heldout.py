"""Where a lesson's held-out data comes from: an instructor's private file, a secret-seeded generator, or (flagged) the repo.

A held-out part that can be derived from the repository is not held out: a learner can regenerate it and
memorise it. So, per server instance:
- `supplied`: RNNLAB_HELDOUT_DIR/<slug>.csv|.npz|.txt, kept by the instructor outside the repository;
- `generated`: the lesson's own generator (`make_heldout(public, rng, size)` in a file named by grading.toml's
  `data.heldout_generator`) continues the public data from a secret per-instance seed; the result is cached in
  the instance's private directory (mode 0700, files 0600), which no sandbox ever binds;
- otherwise the tail of the lesson's public file: mode `public`, allowed for practice, flagged in every report and
  by `rnnlab lessons check`, and refused when the store requires private data.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import io
import os
import secrets
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from graders.spec import SpecError

GENERATOR_TIMEOUT_S = 120
# Runs the lesson's generator in its own interpreter: lesson code never runs inside the server process.
_RUNNER = """
import importlib.util, io, sys
import numpy as np
path = sys.argv[1]
spec = importlib.util.spec_from_file_location("lesson_heldout_generator", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
given = np.load(io.BytesIO(sys.stdin.buffer.read()), allow_pickle=False)
if "series" in given.files:
    public = given["series"]
elif "text" in given.files:
    public = str(given["text"])
else:
    public = {"x": given["x"], "y": given["y"]}
rng = np.random.default_rng(int(given["seed"]))
made = module.make_heldout(public, rng, int(given["size"]))
out = io.BytesIO()
if isinstance(made, tuple):
    np.savez(out, x=np.asarray(made[0]), y=np.asarray(made[1]))
elif isinstance(made, str):
    np.savez(out, text=np.asarray(made))
else:
    np.savez(out, series=np.asarray(made, dtype="float64"))
sys.stdout.buffer.write(out.getvalue())
"""


class HeldoutMode(enum.StrEnum):
    private = "private"  # never derivable from the repository
    public = "public"  # the tail of a file in the repository: practice only


@dataclass(frozen=True)
class HeldoutStore:
    """One server instance's private held-out data: a secret seed and a cache, plus instructor-supplied files."""

    private_dir: Path
    supplied_dir: Path | None = None
    require_private: bool = False

    def supplied(self, slug: str, suffix: str) -> Path | None:
        if self.supplied_dir is None:
            return None
        path = self.supplied_dir / f"{slug}{suffix}"
        return path if path.is_file() else None

    def _ensure_dir(self) -> Path:
        self.private_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.private_dir, 0o700)
        return self.private_dir

    def _instance_secret(self) -> bytes:
        path = self._ensure_dir() / "instance-secret"
        if not path.exists():
            # Written whole to a private temporary name, then linked into place: link() fails if another process (a
            # second grading host on the same data dir) got there first, and nobody ever reads a half-written secret.
            fd, temporary = tempfile.mkstemp(prefix=".instance-secret-", dir=path.parent)
            try:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_hex(32))
                os.link(temporary, path)
            except FileExistsError:
                pass
            finally:
                os.unlink(temporary)
        with open(path, encoding="ascii") as fh:
            text = fh.read().strip()
        if len(text) < 32:
            raise SpecError(f"{path}: the instance secret is damaged; delete it to make a new one")
        return text.encode()

    def seed_for(self, slug: str) -> int:
        digest = hmac.new(self._instance_secret(), f"heldout:{slug}".encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big")

    def generated(self, slug: str, generator: Path, public: np.ndarray | dict[str, np.ndarray],
                  size: int) -> dict[str, np.ndarray]:
        """The generator's continuation for this instance, from the cache when the inputs are unchanged."""
        seed = self.seed_for(slug)
        given = {"series": public} if isinstance(public, np.ndarray) else dict(public)
        fingerprint = hashlib.sha256(generator.read_bytes())
        for key in sorted(given):
            fingerprint.update(np.ascontiguousarray(given[key]).tobytes())
        fingerprint.update(f"{size}:{seed}".encode())
        cache_dir = self._ensure_dir() / "heldout"
        cache_dir.mkdir(exist_ok=True, mode=0o700)
        cache = cache_dir / f"{slug}.npz"
        if cache.is_file() and not cache.is_symlink():
            with np.load(cache, allow_pickle=False) as stored:
                if str(stored["fingerprint"]) == fingerprint.hexdigest():
                    return {k: stored[k] for k in stored.files if k != "fingerprint"}
        made = _run_generator(generator, {**given, "seed": np.asarray(seed % 2**63), "size": np.asarray(size)})
        buffer = io.BytesIO()
        np.savez(buffer, **{"fingerprint": np.asarray(fingerprint.hexdigest()), **made})  # type: ignore[arg-type]
        temporary = cache.with_suffix(f".{secrets.token_hex(4)}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(buffer.getvalue())
        os.replace(temporary, cache)
        return made


def _run_generator(generator: Path, given: dict[str, Any]) -> dict[str, np.ndarray]:
    buffer = io.BytesIO()
    np.savez(buffer, **given)
    try:
        done = subprocess.run([sys.executable, "-I", "-B", "-c", _RUNNER, str(generator)], input=buffer.getvalue(),
                              capture_output=True, timeout=GENERATOR_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise SpecError(f"{generator}: make_heldout took longer than {GENERATOR_TIMEOUT_S} s") from None
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise SpecError(f"{generator}: make_heldout(public, rng, size) failed: {' / '.join(tail)}")
    try:
        with np.load(io.BytesIO(done.stdout), allow_pickle=False) as made:
            return {k: made[k] for k in made.files}
    except ValueError as exc:
        raise SpecError(f"{generator}: make_heldout returned something that is not arrays: {exc}") from None
