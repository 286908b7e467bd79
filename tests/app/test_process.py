"""The web process itself: it never imports TensorFlow or Keras (even while grading) and its memory stays small."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import REPO_ROOT

RSS_LIMIT_MB = 160  # measured ~95 MB, 128 MB with accounts, migrations and LTI; TensorFlow alone would add ~570 MB
# The high-water mark also holds one argon2id hash (64 MiB by RFC 9106's defaults: app.accounts makes a dummy hash
# at start so an unknown email costs as much as a wrong password). Measured 183 MB.
PEAK_LIMIT_MB = RSS_LIMIT_MB + 64

SCRIPT = r"""
import json, sys, time
from fastapi.testclient import TestClient
from app.config import Settings
from app.main import create_app

settings = Settings(data_dir=sys.argv[1], pool_size=0)
with TestClient(create_app(settings)) as client:
    for url in ("/", "/lessons/lstm-sequence-prediction", "/healthz", "/docs", "/openapi.json",
                "/lessons/lstm-sequence-prediction/starter.py", "/static/js/lesson.js"):
        assert client.get(url).status_code == 200, url
    created = client.post("/api/lessons/lstm-sequence-prediction/submissions", json={"code": "import no_such_module_for_rnnlab\n"}).json()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = client.get(created["url"]).json()["status"]
        if status not in ("queued", "running"):
            break
        time.sleep(0.2)
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "torch", "jax"))
status_lines = open("/proc/self/status").read().splitlines()
rss_kb = next(int(line.split()[1]) for line in status_lines if line.startswith("VmRSS:"))
# VmHWM, not ru_maxrss: exec records the *parent's* high-water mark into ru_maxrss (a big pytest would count).
peak_kb = next(int(line.split()[1]) for line in status_lines if line.startswith("VmHWM:"))
print(json.dumps({"status": status, "heavy": heavy, "rss_mb": rss_kb / 1024, "peak_mb": peak_kb / 1024}))
"""


@pytest.mark.sandbox
@pytest.mark.slow
def test_web_process_never_imports_tensorflow_and_stays_small(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "data")], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["status"] == "not_gradable"  # graded for real, in the sandbox (an import error needs it to run)
    assert facts["heavy"] == []
    assert facts["rss_mb"] < RSS_LIMIT_MB and facts["peak_mb"] < PEAK_LIMIT_MB, facts
