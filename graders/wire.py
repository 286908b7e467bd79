"""NumPy arrays in JSON, both ways: the one encoding spoken on the sandbox pipes. Imports NumPy only."""

from __future__ import annotations

from typing import Any

import numpy as np

TAG = "__ndarray__"
ALLOWED_KINDS = "biuf"  # bool and numbers: a dtype string must never let a few bytes become gigabytes
MAX_ELEMENTS = 20_000_000


class WireError(ValueError):
    """A value on the wire is not something our harness writes (e.g. a dict the learner returned)."""


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


def _array(value: dict[str, Any]) -> np.ndarray:
    try:
        dtype = np.dtype(value.get("dtype", "float64"))
    except TypeError as exc:
        raise WireError(f"unknown dtype {value.get('dtype')!r}") from exc
    if dtype.kind not in ALLOWED_KINDS:
        raise WireError(f"dtype {dtype} is not numeric")
    shape = value.get("shape", [-1])
    if not isinstance(shape, list) or not all(isinstance(n, int) and n >= -1 for n in shape):
        raise WireError("bad shape")
    array = np.asarray(value[TAG], dtype=dtype)
    if array.size > MAX_ELEMENTS:
        raise WireError(f"array of {array.size} elements is too large")
    try:
        return array.reshape(shape)
    except ValueError as exc:
        raise WireError(str(exc)) from exc


def decode(value: Any) -> Any:
    """The inverse of encode. Raises WireError for anything encode would not have produced."""
    if isinstance(value, dict):
        if TAG in value:
            return _array(value)
        if "__tuple__" in value:
            return tuple(decode(v) for v in value["__tuple__"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value
