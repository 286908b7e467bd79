"""Regenerate series.csv: a seeded synthetic 'hourly demand' series (daily and weekly cycles + AR(1) noise).

Run from this folder: python make_series.py. Deterministic: the same seed gives the same file.

make_heldout() continues a public series with a generator the caller seeds: the grader uses it to make the
held-out part on the server from a secret seed, so it is never in this folder.
"""

import numpy as np

SEED = 20261121
STEPS = 2000
NOISE_PHI = 0.8  # AR(1) coefficient of the noise
NOISE_SD = 0.3  # sd of its innovations
DECIMALS = 4  # as written to series.csv


def deterministic(t: np.ndarray) -> np.ndarray:
    """Level + daily cycle + weekly cycle at the (absolute) time steps t."""
    daily = 3.0 * np.sin(2 * np.pi * t / 24)
    weekly = 1.5 * np.sin(2 * np.pi * t / (24 * 7))
    return 10.0 + daily + weekly


def make_series(seed: int = SEED, steps: int = STEPS) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    noise = np.zeros(steps)
    shocks = rng.normal(0.0, NOISE_SD, steps)
    for i in range(1, steps):
        noise[i] = NOISE_PHI * noise[i - 1] + shocks[i]
    return deterministic(t) + noise


def make_heldout(public: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """The next `size` values of the series whose first len(public) values are `public` (as read from series.csv).

    The cycles continue in phase (time steps len(public), len(public) + 1, ...). The AR(1) noise carries on from
    its last public value, recovered as public[-1] minus the deterministic part (exact up to the CSV's rounding),
    with fresh innovations from `rng`. Rounded to the CSV's 4 decimals.
    """
    public = np.asarray(public, dtype="float64")
    size = int(size)
    if public.ndim != 1 or len(public) == 0 or size < 0:
        raise ValueError(f"need a non-empty 1-D public series and size >= 0; got shape {public.shape}, size {size}")
    n = len(public)
    noise = public[-1] - deterministic(np.array([n - 1]))[0]
    shocks = rng.normal(0.0, NOISE_SD, size)
    tail = np.empty(size)
    for i in range(size):
        noise = NOISE_PHI * noise + shocks[i]
        tail[i] = noise
    return np.round(deterministic(np.arange(n, n + size)) + tail, DECIMALS)


if __name__ == "__main__":
    series = make_series()
    with open("series.csv", "w") as fh:
        fh.write("step,value\n")
        for i, v in enumerate(series):
            fh.write(f"{i},{v:.4f}\n")
