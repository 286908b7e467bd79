"""Seeded synthetic data: sequences that rise (class 1) or fall (class 0) through the same values. CC0.

Both classes visit the same values, from -1 to +1 or from +1 to -1, so a model that only sees which values
occur (not in which order) is at chance: the class is in the order of the steps, which is what a recurrent
layer reads. Run this file to regenerate data.npz; make_heldout draws new samples for the grading server.
"""

import os

import numpy as np

SEED = 3
SAMPLES, TIMESTEPS = 400, 12


def make_data(rng: np.random.Generator, samples: int = SAMPLES, timesteps: int = TIMESTEPS) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 2, samples)
    ramp = np.linspace(-1.0, 1.0, timesteps)
    x = np.where(y[:, None] == 1, ramp[None, :], ramp[None, ::-1]) + rng.normal(0, 0.3, (samples, timesteps))
    return x[..., None].astype("float32"), y.astype("int64")


def make_heldout(public: dict[str, np.ndarray], rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """`size` new, independent samples of the same kind (the server seeds `rng` from its secret)."""
    return make_data(rng, int(size), np.asarray(public["x"]).shape[1])


if __name__ == "__main__":
    x, y = make_data(np.random.default_rng(SEED))
    np.savez_compressed(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data.npz"), x=x, y=y)
