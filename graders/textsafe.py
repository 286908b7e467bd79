"""Display-safe text: learner-controlled strings made harmless for terminals, CSV cells, XML and JSON."""

from __future__ import annotations

from typing import Any

# Characters a terminal obeys instead of showing (C0 incl. ESC and CR, DEL, C1), invisible direction
# overrides that reorder what follows them ("Trojan Source"), Unicode line breaks, and the two BMP
# non-characters XML 1.0 forbids. Every one becomes a visible escape; everything else passes through.
_CONTROLS = [*range(0x00, 0x20), *range(0x7F, 0xA0)]
_INVISIBLE = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x2028, 0x2029, 0xFFFE, 0xFFFF]
_SURROGATES = range(0xD800, 0xE000)
# os.fsdecode() turns each undecodable byte of a file name into U+DC80..U+DCFF ("surrogateescape").
_ESCAPED_BYTES = range(0xDC80, 0xDD00)
MULTILINE_KEEP = "\n\t"


_NAMED = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}


def _escape(code_point: int) -> str:
    if code_point in _NAMED:
        return _NAMED[code_point]
    if code_point in _ESCAPED_BYTES:
        return f"\\x{code_point - 0xDC00:02x}"  # the byte the file name really holds
    if code_point < 0x100:
        return f"\\x{code_point:02x}"
    return f"\\u{code_point:04x}"


_SINGLE_LINE = {cp: _escape(cp) for cp in (*_CONTROLS, *_INVISIBLE, *_SURROGATES)}
_MULTILINE = {cp: text for cp, text in _SINGLE_LINE.items() if chr(cp) not in MULTILINE_KEEP}
_SURROGATES_ONLY = {cp: _escape(cp) for cp in _SURROGATES}


def display_text(text: str, *, multiline: bool = False) -> str:
    """`text` with every control character, lone surrogate and invisible override shown as an escape (`\\x1b`).

    The result is valid UTF-8, valid in XML 1.0 (text and attributes) and cannot move a terminal's cursor,
    change its colours or reorder a line. `multiline=True` keeps newline and tab, for formats that show
    multi-line text (a JUnit failure body, a log); everything else, including `\\r`, is always escaped.
    Display only: backslashes are not doubled, so the escaping is not meant to be reversed.
    """
    return text.translate(_MULTILINE if multiline else _SINGLE_LINE)


def without_surrogates(text: str) -> str:
    """`text` with only its lone surrogates escaped: what a UTF-8 encoder (JSON, a file) needs and no more."""
    return text.translate(_SURROGATES_ONLY)


def scrub_surrogates(value: Any) -> Any:
    """`value` (dicts, lists, tuples and strings, as model_dump() returns them) with every string encodable as UTF-8."""
    if isinstance(value, str):
        return without_surrogates(value)
    if isinstance(value, dict):
        return {scrub_surrogates(key): scrub_surrogates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub_surrogates(item) for item in value]
    if isinstance(value, tuple):
        return tuple(scrub_surrogates(item) for item in value)
    return value
