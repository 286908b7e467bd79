"""Values with NumPy arrays on the sandbox pipes: a small JSON tree plus arrays as binary .npy blobs. Imports NumPy only.

pack(value) -> (tree, blobs) and unpack(tree, blobs) -> value. Arrays never travel as nested JSON lists: they go
as .npy bytes (parsed by NumPy with allow_pickle=False, numeric dtypes only, element count capped), so a few
bytes of JSON can never become gigabytes and a learner's own dict can never pass for one of our tags.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

ALLOWED_KINDS = "biuf"  # bool and numbers: never object, string or structured dtypes
MAX_ARRAY_BYTES = 64 * 1024 * 1024
ARRAY, TUPLE, DICT, UNSUPPORTED = "$array", "$tuple", "$dict", "$unsupported"
TAGS = {ARRAY, TUPLE, DICT, UNSUPPORTED}


class WireError(ValueError):
    """A value on the wire is not something pack() would have produced."""


def array_bytes(array: np.ndarray) -> list[bytes | memoryview]:
    """A .npy file in two parts, its header and the array's own memory (not copied: a model can be 32 MiB)."""
    array = np.ascontiguousarray(array)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, np.lib.format.header_data_from_array_1_0(array))
    return [header.getvalue(), memoryview(array).cast("B")]  # type: ignore[arg-type]


def array_from_bytes(blob: bytes | bytearray | memoryview | list[bytes | memoryview]) -> np.ndarray:
    """One .npy blob -> array, refusing pickles, non-numeric dtypes, absurd sizes and truncated data.

    The header is checked against the bytes actually present *before* anything is allocated.
    """
    if isinstance(blob, list):  # our own two-part form (tests, or a job read back): join it
        blob = b"".join(bytes(part) for part in blob)
    whole = memoryview(blob).cast("B")
    stream = io.BytesIO(bytes(whole[:1200]))  # magic + a header of at most 1024 bytes
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream, max_header_size=1024)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream, max_header_size=1024)
        else:
            raise WireError(f"unknown .npy version {version}")
    except WireError:
        raise
    except Exception as exc:  # noqa: BLE001 - NumPy raises several types for malformed headers
        raise WireError(f"not an array: {str(exc)[:80]}") from None
    if dtype.kind not in ALLOWED_KINDS or dtype.hasobject or dtype.fields is not None:
        raise WireError("not a numeric array")
    count = 1
    for n in shape:
        count *= n
    data = whole[stream.tell():]
    if count * dtype.itemsize != data.nbytes or data.nbytes > MAX_ARRAY_BYTES:
        raise WireError("the array's header does not match its data, or it is too large")
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return array


Blob = list[bytes | memoryview]


def pack(value: Any) -> tuple[Any, list[Blob]]:
    """Any value a learner function might return -> a JSON-safe tree whose arrays are blob references."""
    blobs: list[Blob] = []

    def walk(item: Any, depth: int) -> Any:
        if depth > 16:
            return {UNSUPPORTED: "deeply nested value"}
        if isinstance(item, np.ndarray):
            if item.dtype.kind not in ALLOWED_KINDS:
                return {UNSUPPORTED: f"array of {item.dtype}"}
            blobs.append(array_bytes(item))
            return {ARRAY: len(blobs) - 1}
        if isinstance(item, np.generic):
            return walk(item.item(), depth)
        if type(item) in (bool, int, float, str) or item is None:  # exact types: an int subclass is not an int
            return item
        if type(item) is tuple:
            return {TUPLE: [walk(v, depth + 1) for v in item]}
        if type(item) is list:
            return [walk(v, depth + 1) for v in item]
        if type(item) is dict and all(type(k) is str for k in item):
            return {DICT: {k: walk(v, depth + 1) for k, v in item.items()}}
        return {UNSUPPORTED: type(item).__name__[:60]}

    return walk(value, 0), blobs


class Unsupported:
    """Stands for a value the wire does not carry (an object, a dict with odd keys): it compares unequal to anything."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


def unpack(tree: Any, blobs: list[bytearray] | list[Blob]) -> Any:
    """The inverse of pack. Raises WireError for anything pack would not have produced."""
    used: set[int] = set()

    def walk(item: Any) -> Any:
        if isinstance(item, dict):
            if len(item) != 1 or next(iter(item)) not in TAGS:
                raise WireError("an object that is not one of ours")
            tag, inner = next(iter(item.items()))
            if tag == ARRAY:
                if type(inner) is not int or not 0 <= inner < len(blobs) or inner in used:
                    raise WireError("bad array reference")
                used.add(inner)
                return array_from_bytes(blobs[inner])
            if tag == TUPLE and isinstance(inner, list):
                return tuple(walk(v) for v in inner)
            if tag == DICT and isinstance(inner, dict):
                return {str(k): walk(v) for k, v in inner.items()}
            if tag == UNSUPPORTED and isinstance(inner, str):
                return Unsupported(inner)
            raise WireError("malformed tag")
        if isinstance(item, list):
            return [walk(v) for v in item]
        if item is None or type(item) in (bool, int, float, str):
            return item
        raise WireError("unexpected value")

    return walk(tree)
