"""Regenerate corpus.txt: a seeded synthetic primer ("see ada run. run, ada, run!") whose lines repeat themselves.

Each line is one little scene in one of four patterns, with names, colours and things drawn at random:

    ada has a red cup. the cup is red.
    ben gives cal a key. "a key!" says cal.
    dot sees eve (and eve sees dot).
    see fin run. run, fin, run!

Everything random is chosen in the first words of a line (which pattern, who, what); the rest of the line
repeats it: the thing and its colour come back a few words later, a name comes back 10 to 30 characters after
it was first written, and a bracket opened after one name closes after the other. So a model that remembers
the start of the line can predict almost all of the rest, while one that only sees the last four characters
(the grader's smoothed n-gram) must guess again at every repeat: after "the " it cannot know which thing, after
"says " which name, after a name whether a bracket is open.

Run from this folder: python make_corpus.py. Deterministic: the same seed gives the same file.

make_heldout() draws more lines of the same process with a generator the caller seeds: the grader uses it to
make the held-out text on the server from a secret seed, so it is never in this folder.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

SEED = 20261203
SIZE = 25_000  # characters of corpus.txt (whole lines; the last one may end a little later)
NAMES = ["ada", "ben", "cal", "dot", "eve", "fin", "gus", "hal"]
COLOURS = ["red", "blue", "green", "gold"]
THINGS = ["cup", "hat", "key", "box", "map", "bell", "lamp", "coin"]
PATTERNS = 4


def make_line(rng: np.random.Generator) -> tuple[str, float]:
    """One scene, ending with a newline, and the bits of the random choices that made it (its true information)."""
    pattern = int(rng.integers(PATTERNS))
    first, second = rng.choice(len(NAMES), size=2, replace=False)
    a, b = NAMES[first], NAMES[second]
    colour = COLOURS[int(rng.integers(len(COLOURS)))]
    thing = THINGS[int(rng.integers(len(THINGS)))]
    bits = math.log2(PATTERNS) + math.log2(len(NAMES))
    if pattern == 0:
        line = f"{a} has a {colour} {thing}. the {thing} is {colour}."
        bits += math.log2(len(COLOURS)) + math.log2(len(THINGS))
    elif pattern == 1:
        line = f'{a} gives {b} a {thing}. "a {thing}!" says {b}.'
        bits += math.log2(len(NAMES) - 1) + math.log2(len(THINGS))
    elif pattern == 2:
        line = f"{a} sees {b} (and {b} sees {a})."
        bits += math.log2(len(NAMES) - 1)
    else:
        line = f"see {a} run. run, {a}, run!"
    return line + "\n", bits


def make_lines(rng: np.random.Generator, size: int) -> tuple[str, float]:
    """Whole lines until at least `size` characters, and the process's true bits per character over them."""
    lines: list[str] = []
    total, bits = 0, 0.0
    while total < size:
        line, line_bits = make_line(rng)
        lines.append(line)
        total += len(line)
        bits += line_bits
    return "".join(lines), bits / max(total, 1)


def make_corpus(seed: int = SEED, size: int = SIZE) -> str:
    return make_lines(np.random.default_rng(seed), size)[0]


def make_heldout(public_text: str, rng: np.random.Generator, size: int) -> str:
    """`size` more characters (whole lines) of the same process, drawn with `rng`; the caller seeds it secretly.

    Lines are independent, so the continuation needs nothing from `public_text` but its alphabet, which every
    line's characters belong to (checked: the grader refuses characters the public text does not have).
    """
    text, _ = make_lines(rng, max(int(size), 200))
    unknown = sorted(set(text) - set(public_text))
    if unknown:
        raise ValueError(f"the held-out text uses characters the public text lacks: {unknown}")
    return text


if __name__ == "__main__":
    corpus = make_corpus()
    Path("corpus.txt").write_text(corpus, encoding="utf-8")
    print(f"corpus.txt: {len(corpus):,} characters, {len(set(corpus))} distinct")
