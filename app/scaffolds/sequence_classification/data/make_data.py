"""Seeded synthetic data: rising (1) or falling (0) noisy sequences. CC0."""

import os

import numpy as np

rng = np.random.default_rng(3)
n, t = 400, 12
y = rng.integers(0, 2, n)
slope = np.where(y == 1, 1.0, -1.0)[:, None] * np.linspace(0, 1, t)[None, :]
x = (slope + rng.normal(0, 0.3, (n, t)))[..., None].astype("float32")
np.savez_compressed(os.path.join(os.path.dirname(__file__), "data.npz"), x=x, y=y)
