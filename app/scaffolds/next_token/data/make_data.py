"""Seeded synthetic text whose lines repeat what their start chose. Replace with your own text (and its licence).

Each line draws a name and a thing at random, then repeats them: "ada finds a cup. the cup is ada's." A model that
remembers the start of the line predicts the repeats; one that sees only the last few characters (the grader's
smoothed n-gram, the bar) must guess again. Keep some such reason in your own text, or the baselines table will show
that counting does as well as the network.

Run from this folder: python make_data.py (deterministic). make_heldout() draws more lines from a generator the
grader seeds with a secret seed, so the held-out text is never in this folder. CC0.
"""

import os

import numpy as np

SEED = 3
SIZE = 20_000
NAMES = ["ada", "ben", "cal", "dot", "eve", "fin"]
THINGS = ["cup", "hat", "key", "box", "map", "pen"]


def make_lines(rng: np.random.Generator, size: int) -> str:
    lines: list[str] = []
    total = 0
    while total < size:
        name, thing = NAMES[int(rng.integers(len(NAMES)))], THINGS[int(rng.integers(len(THINGS)))]
        line = (f"{name} finds a {thing}. the {thing} is {name}'s.\n" if rng.random() < 0.5
                else f"see {name} run. run, {name}, run!\n")
        lines.append(line)
        total += len(line)
    return "".join(lines)


def make_heldout(public_text: str, rng: np.random.Generator, size: int) -> str:
    """`size` more characters (whole lines) of the same process; lines are independent of the public text."""
    return make_lines(rng, max(int(size), 200))


if __name__ == "__main__":
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus.txt"), "w") as fh:
        fh.write(make_lines(np.random.default_rng(SEED), SIZE))
