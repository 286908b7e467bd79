"""Seeded synthetic pairs: four digits spelled as words -> the digits ("three one four one" -> "3141"). CC0.

Only a decoder that starts from what the encoder read can write the right digits; copying and looking up the
most similar training source get almost none of them. Run this file to regenerate data.npz; make_heldout draws
new pairs for the grading server.
"""

import os

import numpy as np

SEED = 5
SAMPLES, LENGTH = 1200, 4
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
SOURCE_VOCAB = ["<pad>", *WORDS]
TARGET_VOCAB = ["<pad>", "<start>", *"0123456789"]


def make_data(rng: np.random.Generator, samples: int = SAMPLES) -> tuple[np.ndarray, np.ndarray]:
    digits = rng.integers(0, 10, (samples, LENGTH))
    return (digits + 1).astype("int32"), (digits + 2).astype("int64")  # ids into SOURCE_VOCAB / TARGET_VOCAB


def make_heldout(public: dict[str, np.ndarray], rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """`size` new, independent pairs of the same kind (the server seeds `rng` from its secret)."""
    return make_data(rng, int(size))


if __name__ == "__main__":
    x, y = make_data(np.random.default_rng(SEED))
    np.savez_compressed(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data.npz"), x=x, y=y,
                        source_vocab=np.asarray(SOURCE_VOCAB), target_vocab=np.asarray(TARGET_VOCAB))
