"""One stage vocabulary: the page's progress texts name exactly the engine's stages (graders/protocol.py)."""

from __future__ import annotations

import re
from pathlib import Path

from graders.protocol import Stage

LESSON_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "lesson.js"


def test_the_page_has_a_text_for_every_stage_and_no_other() -> None:
    block = re.search(r"const PHASE_TEXT = \{(.*?)\};", LESSON_JS.read_text(), re.DOTALL)
    assert block is not None
    keys = set(re.findall(r"(\w+):\s*\"", block.group(1)))
    assert keys == {stage.value for stage in Stage}
