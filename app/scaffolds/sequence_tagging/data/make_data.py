"""Seeded synthetic data: noisy walks with every step tagged rising (1) or not (0) against 2 steps earlier. CC0.

A step's own value says nothing about its tag (the walks wander anywhere), so a model that looks at one step
at a time is at chance: the tag needs a memory of the steps before it, one answer per step. Run this file to
regenerate data.npz; make_heldout draws new samples for the grading server.
"""

import os

import numpy as np

SEED = 5
SAMPLES, TIMESTEPS, LAG = 600, 16, 2


def make_data(rng: np.random.Generator, samples: int = SAMPLES, timesteps: int = TIMESTEPS) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(0.0, 1.0, (samples, 1)) + np.cumsum(rng.normal(0.0, 0.3, (samples, timesteps)), axis=1)
    before = np.concatenate([np.repeat(x[:, :1], LAG, axis=1), x[:, :-LAG]], axis=1)
    y = (x > before).astype("int64")
    return x[..., None].astype("float32"), y


def make_heldout(public: dict[str, np.ndarray], rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """`size` new, independent samples of the same kind (the server seeds `rng` from its secret)."""
    return make_data(rng, int(size), np.asarray(public["x"]).shape[1])


if __name__ == "__main__":
    x, y = make_data(np.random.default_rng(SEED))
    np.savez_compressed(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data.npz"), x=x, y=y)
