"""How many forward passes of the NumPy twins (graders/recurrence.py) a block of phase B makes.

The invariant "no graded fact is computed through a twin" is this count, 0, around mark_influence. Imported by the
reference scripts that run TensorFlow in their own interpreter (tests/graders/*_reference.py), which put graders/
on sys.path as the sandbox does: `recurrence` here is the module the worker imports.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import recurrence


@contextlib.contextmanager
def counting_twin_passes() -> Iterator[list[int]]:
    """Within the block, every recurrence.forward call appends to the yielded list (its length is the count)."""
    passes: list[int] = []
    true_forward = recurrence.forward

    def counted(*args: Any, **kwargs: Any) -> Any:
        passes.append(1)
        return true_forward(*args, **kwargs)

    recurrence.forward = counted
    try:
        yield passes
    finally:
        recurrence.forward = true_forward
