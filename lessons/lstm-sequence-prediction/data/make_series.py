"""Regenerate series.csv: a seeded synthetic 'hourly demand' series with a demand-response switch.

The demand itself is a level + daily and weekly cycles + AR(1) noise. On top of it runs a threshold rule, a
hidden on/off state: whenever an hour's demand ends above THRESHOLD, a demand-response programme is switched on
for the next hour and cuts that hour's demand by CUT. The cut hour usually ends below the threshold, so the
programme is off again the hour after, and demand jumps back up: around the daily peaks the series saw-tooths.
The next value therefore depends on whether the last one crossed a line, which no weighted sum of the window
(the linear autoregression baseline) can represent, while the network can.

Run from this folder: python make_series.py. Deterministic: the same seed gives the same file.

make_heldout() continues a public series with a generator the caller seeds: the grader uses it to make the
held-out part on the server from a secret seed, so it is never in this folder.
"""

import numpy as np

SEED = 20261121
STEPS = 2000
NOISE_PHI = 0.8  # AR(1) coefficient of the noise
NOISE_SD = 0.3  # sd of its innovations
THRESHOLD = 12.2  # an hour above this switches the demand-response programme on for the next hour
CUT = 3.0  # what the programme takes off that hour's demand
DECIMALS = 4  # as written to series.csv (the threshold is applied to the rounded values)


def deterministic(t: np.ndarray) -> np.ndarray:
    """Level + daily cycle + weekly cycle at the (absolute) time steps t."""
    daily = 3.0 * np.sin(2 * np.pi * t / 24)
    weekly = 1.5 * np.sin(2 * np.pi * t / (24 * 7))
    return 10.0 + daily + weekly


def _run(start: int, size: int, noise: float, previous: float | None, shocks: np.ndarray) -> np.ndarray:
    """`size` values from time step `start` on, given the AR(1) noise and the value of the step before."""
    base = deterministic(np.arange(start, start + size))
    out = np.empty(size)
    for i in range(size):
        cut = CUT if previous is not None and previous > THRESHOLD else 0.0
        noise = NOISE_PHI * noise + shocks[i]
        previous = out[i] = round(float(base[i] + noise - cut), DECIMALS)
    return out


def make_series(seed: int = SEED, steps: int = STEPS) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shocks = rng.normal(0.0, NOISE_SD, steps)
    shocks[0] = 0.0  # the noise starts at 0
    return _run(0, steps, 0.0, None, shocks)


def make_heldout(public: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """The next `size` values of the series whose first len(public) values are `public` (as read from series.csv).

    The cycles continue in phase (time steps len(public), len(public) + 1, ...). The programme's state carries
    over (it is on for the first new hour if public[-1] is above the threshold), and the AR(1) noise carries on
    from its last public value, recovered as public[-1] minus the deterministic part plus the cut if public[-2]
    switched the programme on (exact up to the CSV's rounding), with fresh innovations from `rng`. Rounded to
    the CSV's 4 decimals.
    """
    public = np.asarray(public, dtype="float64")
    size = int(size)
    if public.ndim != 1 or len(public) == 0 or size < 0:
        raise ValueError(f"need a non-empty 1-D public series and size >= 0; got shape {public.shape}, size {size}")
    n = len(public)
    was_cut = n >= 2 and public[-2] > THRESHOLD
    noise = public[-1] - deterministic(np.array([n - 1]))[0] + (CUT if was_cut else 0.0)
    shocks = rng.normal(0.0, NOISE_SD, size)
    return _run(n, size, float(noise), float(public[-1]), shocks)


if __name__ == "__main__":
    series = make_series()
    with open("series.csv", "w") as fh:
        fh.write("step,value\n")
        for i, v in enumerate(series):
            fh.write(f"{i},{v:.4f}\n")
