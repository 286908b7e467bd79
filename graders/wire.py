"""NumPy arrays in JSON, both ways: the one encoding spoken on the sandbox pipes. Imports NumPy only."""

from __future__ import annotations

from typing import Any

import numpy as np

TAG = "__ndarray__"


def encode(value: Any) -> Any:
    """Arrays become {"__ndarray__": nested lists, "dtype": ...}; tuples stay distinguishable from lists."""
    if isinstance(value, np.ndarray):
        return {TAG: value.tolist(), "dtype": str(value.dtype), "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if TAG in value:
            return np.asarray(value[TAG], dtype=value.get("dtype")).reshape(value.get("shape", -1))
        if "__tuple__" in value:
            return tuple(decode(v) for v in value["__tuple__"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value
