"""Running a tests/graders/*_reference.py script and reading what it measured.

The scripts import TensorFlow in their own interpreter (the pytest process never does) and print one JSON line per
case, each with a "name"; every line is echoed into the test log, so the figures (CPU times, differences) are there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def measured_rows(script: Path, timeout: float = 600) -> dict[str, dict[str, Any]]:
    """The script's cases by name; the script must exit 0."""
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=timeout)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    print("\n" + "\n".join(json.dumps(row) for row in rows))
    return {row["name"]: row for row in rows}
