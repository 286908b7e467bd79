"""Seeded synthetic 'hourly demand' series with a switch a weighted sum cannot express. Replace with your data.

Demand is a level + a daily cycle + AR(1) noise; whenever an hour ends above THRESHOLD the next hour is cut by
CUT (a hidden on/off state). The best forecast is "if the last hour crossed the line, subtract CUT": nonlinear
in the window, so least squares on the window (the grader's `linear` baseline) misses it and an LSTM need not.
Keep some such reason in your own data, or the report will show that a straight line does as well as the network.

Run from this folder: python make_data.py (deterministic). make_heldout() continues a public series from a
generator the grader seeds with a secret seed, so the held-out part is never in this folder. CC0.
"""

import os

import numpy as np

SEED = 7
STEPS = 2000
THRESHOLD = 12.2
CUT = 3.0


def _run(start: int, size: int, noise: float, previous: float | None, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(start, start + size)
    base = 10.0 + 3.0 * np.sin(2 * np.pi * t / 24) + 1.5 * np.sin(2 * np.pi * t / 168)
    out = np.empty(size)
    for i, shock in enumerate(rng.normal(0.0, 0.3, size)):
        noise = 0.8 * noise + shock
        cut = CUT if previous is not None and previous > THRESHOLD else 0.0
        previous = out[i] = round(float(base[i] + noise - cut), 4)
    return out


def make_heldout(public: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """The next `size` values after `public`: the cycles continue in phase, the switch's state carries over and the
    noise restarts from 0 (a small, harmless simplification for a template)."""
    public = np.asarray(public, dtype="float64")
    return _run(len(public), int(size), 0.0, float(public[-1]), rng)


if __name__ == "__main__":
    series = _run(0, STEPS, 0.0, None, np.random.default_rng(SEED))
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "series.csv"), "w") as fh:
        fh.write("step,value\n")
        fh.writelines(f"{i},{v:.4f}\n" for i, v in enumerate(series))
