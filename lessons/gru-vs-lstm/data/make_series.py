"""Regenerate series.csv: a seeded synthetic 'heart-rate-like' signal with a lopsided, slightly irregular cycle.

Each beat rises fast and decays slowly (so the shape, not just the level, carries information), the beat
length wanders between about 16 and 20 steps, and AR(1) noise sits on top.

Run from this folder: python make_series.py. Deterministic: the same seed gives the same file.

make_heldout() continues a public series with a generator the caller seeds: the grader uses it to make the
held-out part on the server from a secret seed, so it is never in this folder.
"""

import numpy as np

SEED = 20261123
STEPS = 2000
PERIOD_MIN, PERIOD_MAX = 16.0, 20.0  # bounds of the beat length, in steps
PERIOD_STEP_SD = 0.3  # the beat length is a bounded random walk with this step sd
NOISE_PHI = 0.6  # AR(1) coefficient of the noise
NOISE_SD = 0.08  # sd of its innovations
DECIMALS = 4  # as written to series.csv


def beat(cycle: np.ndarray) -> np.ndarray:
    """One beat, by position in it (0 <= cycle < 1): linear rise to 1 over the first 20 %, then exponential decay."""
    return np.where(cycle < 0.2, cycle / 0.2, np.exp(-(cycle - 0.2) / 0.25))  # fast rise, slow decay


def signal(cycle: np.ndarray, noise: np.ndarray) -> np.ndarray:
    return 60.0 + 20.0 * beat(cycle) + 5.0 * noise


def make_series(seed: int = SEED, steps: int = STEPS) -> np.ndarray:
    rng = np.random.default_rng(seed)
    phase = np.zeros(steps)
    period = 18.0
    for i in range(1, steps):
        period = float(np.clip(period + rng.normal(0.0, PERIOD_STEP_SD), PERIOD_MIN, PERIOD_MAX))
        phase[i] = phase[i - 1] + 1.0 / period
    cycle = phase % 1.0
    noise = np.zeros(steps)
    shocks = rng.normal(0.0, NOISE_SD, steps)
    for i in range(1, steps):
        noise[i] = NOISE_PHI * noise[i - 1] + shocks[i]
    return signal(cycle, noise)


def _implied_noise(values: float, cycle: np.ndarray) -> np.ndarray:
    """The AR(1) noise each candidate position in the beat implies for an observed value (inverse of signal())."""
    return (values - 60.0 - 20.0 * beat(cycle)) / 5.0


def infer_state(public: np.ndarray, rng: np.random.Generator, particles: int = 5000,
                window: int = 300) -> tuple[float, float, float]:
    """Draw (position in the beat, beat length, AR(1) noise) at the last public step from their posterior.

    A particle filter over the last `window` steps, with make_series' own dynamics: each particle is a position
    in the beat and a beat length, both unknown at the start of the window (uniform); the noise is then
    implied exactly by the observed value, so a particle is weighted by how likely the implied AR(1)
    innovation is. Returns one particle drawn by weight, i.e. a state the public series is consistent with.
    """
    values = public[-window:]
    period = rng.uniform(PERIOD_MIN, PERIOD_MAX, particles)
    cycle = rng.uniform(0.0, 1.0, particles)
    noise = _implied_noise(values[0], cycle)
    stationary_sd = NOISE_SD / np.sqrt(1.0 - NOISE_PHI**2)
    log_w = -0.5 * (noise / stationary_sd) ** 2
    for value in values[1:]:
        period = np.clip(period + rng.normal(0.0, PERIOD_STEP_SD, particles), PERIOD_MIN, PERIOD_MAX)
        cycle = (cycle + 1.0 / period) % 1.0
        implied = _implied_noise(value, cycle)
        log_w += -0.5 * ((implied - NOISE_PHI * noise) / NOISE_SD) ** 2
        noise = implied
        w = np.exp(log_w - log_w.max())
        w /= w.sum()
        if 1.0 / np.sum(w**2) < particles / 2:  # systematic resampling when the weights degenerate
            picks = np.searchsorted(np.cumsum(w), (rng.random() + np.arange(particles)) / particles)
            picks = np.minimum(picks, particles - 1)
            period, cycle, noise = period[picks], cycle[picks], noise[picks]
            log_w = np.zeros(particles)
    w = np.exp(log_w - log_w.max())
    j = rng.choice(particles, p=w / w.sum())
    return float(cycle[j]), float(period[j]), float(noise[j])


def make_heldout(public: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """The next `size` values of the series whose first len(public) values are `public` (as read from series.csv).

    The hidden state at the end of the public part (where in the beat it is, the current beat length and the
    AR(1) noise) is not in the file, so infer_state() draws it from its posterior given the public values;
    from there the beat length keeps wandering, the beat keeps advancing and the noise keeps evolving exactly
    as in make_series, with fresh randomness from `rng`. Rounded to the CSV's 4 decimals.
    """
    public = np.asarray(public, dtype="float64")
    size = int(size)
    if public.ndim != 1 or len(public) < 2 or size < 0:
        raise ValueError(f"need a 1-D public series of 2+ values and size >= 0; got shape {public.shape}, size {size}")
    cycle, period, noise = infer_state(public, rng)
    period_steps = rng.normal(0.0, PERIOD_STEP_SD, size)
    shocks = rng.normal(0.0, NOISE_SD, size)
    cycles, noises = np.empty(size), np.empty(size)
    for i in range(size):
        period = float(np.clip(period + period_steps[i], PERIOD_MIN, PERIOD_MAX))
        cycle = (cycle + 1.0 / period) % 1.0
        noise = NOISE_PHI * noise + shocks[i]
        cycles[i], noises[i] = cycle, noise
    return np.round(signal(cycles, noises), DECIMALS)


if __name__ == "__main__":
    series = make_series()
    with open("series.csv", "w") as fh:
        fh.write("step,value\n")
        for i, v in enumerate(series):
            fh.write(f"{i},{v:.4f}\n")
