"""Regenerate adding.npz: the adding problem, a classic test of long-range memory for recurrent networks.

Each sample is a sequence of TIMESTEPS steps with two features: a random value in [0, 1) and a marker
that is 1 at exactly two steps and 0 elsewhere. The first marker sits in the first FIRST_SPAN steps, the
second anywhere after that, so the model must remember a value for up to TIMESTEPS steps. The target is
the sum of the two marked values.

Run from this folder: python make_adding.py. Deterministic: the same seed gives the same file.
"""

import numpy as np

SEED = 20261122
SAMPLES = 4000
TIMESTEPS = 50
FIRST_SPAN = 10


def make_adding(seed: int = SEED, samples: int = SAMPLES, timesteps: int = TIMESTEPS) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, (samples, timesteps)).round(3)
    markers = np.zeros((samples, timesteps))
    rows = np.arange(samples)
    first = rng.integers(0, FIRST_SPAN, samples)
    second = rng.integers(FIRST_SPAN, timesteps, samples)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype("float32")
    y = (values * markers).sum(axis=1).astype("float32")
    return x, y  # samples are independent and already in random order


if __name__ == "__main__":
    x, y = make_adding()
    np.savez_compressed("adding.npz", x=x, y=y)
    print(f"adding.npz: x {x.shape} {x.dtype}, y {y.shape} {y.dtype}")
