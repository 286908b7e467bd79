"""Regenerate series.csv: a seeded synthetic 'hourly demand' series (daily and weekly cycles + AR(1) noise).

Run from this folder: python make_series.py. Deterministic: the same seed gives the same file.
"""

import numpy as np

SEED = 20261121
STEPS = 2000


def make_series(seed: int = SEED, steps: int = STEPS) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    daily = 3.0 * np.sin(2 * np.pi * t / 24)
    weekly = 1.5 * np.sin(2 * np.pi * t / (24 * 7))
    noise = np.zeros(steps)
    shocks = rng.normal(0.0, 0.3, steps)
    for i in range(1, steps):
        noise[i] = 0.8 * noise[i - 1] + shocks[i]
    return 10.0 + daily + weekly + noise


if __name__ == "__main__":
    series = make_series()
    with open(__import__("os").path.join(__import__("os").path.dirname(__file__), "series.csv"), "w") as fh:
        fh.write("step,value\n")
        for i, v in enumerate(series):
            fh.write(f"{i},{v:.4f}\n")
