"""Seeded synthetic corpus of short phrases. Replace with your own text (and its licence). CC0."""

import os

import numpy as np

rng = np.random.default_rng(3)
text = "".join(rng.choice(["abc ", "abde ", "the cat ", "a dog ", "the bed "]) for _ in range(1400))
with open(os.path.join(os.path.dirname(__file__), "corpus.txt"), "w") as fh:
    fh.write(text)
