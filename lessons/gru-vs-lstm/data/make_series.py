"""Regenerate series.csv: a seeded synthetic 'heart-rate-like' signal with a lopsided, slightly irregular cycle.

Each beat rises fast and decays slowly (so the shape, not just the level, carries information), the beat
length wanders between about 16 and 20 steps, and AR(1) noise sits on top.

Run from this folder: python make_series.py. Deterministic: the same seed gives the same file.
"""

import numpy as np

SEED = 20261123
STEPS = 2000


def make_series(seed: int = SEED, steps: int = STEPS) -> np.ndarray:
    rng = np.random.default_rng(seed)
    phase = np.zeros(steps)
    period = 18.0
    for i in range(1, steps):
        period = float(np.clip(period + rng.normal(0.0, 0.3), 16.0, 20.0))
        phase[i] = phase[i - 1] + 1.0 / period
    cycle = phase % 1.0
    beat = np.where(cycle < 0.2, cycle / 0.2, np.exp(-(cycle - 0.2) / 0.25))  # fast rise, slow decay
    noise = np.zeros(steps)
    shocks = rng.normal(0.0, 0.08, steps)
    for i in range(1, steps):
        noise[i] = 0.6 * noise[i - 1] + shocks[i]
    return 60.0 + 20.0 * beat + 5.0 * noise


if __name__ == "__main__":
    series = make_series()
    with open("series.csv", "w") as fh:
        fh.write("step,value\n")
        for i, v in enumerate(series):
            fh.write(f"{i},{v:.4f}\n")
