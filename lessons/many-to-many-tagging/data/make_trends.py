"""Regenerate trends.npz: seeded synthetic noisy signals, every step tagged rising, falling or flat.

Tags: 0 = flat, 1 = rising, 2 = falling, comparing each step's value with the value 3 steps earlier (the first
3 steps compare with step 0). A step's own value says nothing about its tag, since the signal wanders
anywhere: only a model that remembers the last few steps can tag it.

Run from this folder: python make_trends.py. Deterministic: the same seed gives the same file.

make_heldout() draws more samples with a generator the caller seeds: the grader uses it to make the held-out
part on the server from a secret seed, so it is never in this folder.
"""

import numpy as np

SEED = 20261203
SAMPLES = 1600
TIMESTEPS = 24
LAG = 3
FLAT = 0.15  # |change over LAG steps| below this is flat: about a third of the steps each


def make_trends(seed: int = SEED, samples: int = SAMPLES, *,
                rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`samples` independent signals (samples, TIMESTEPS, 1) and their tags (samples, TIMESTEPS)."""
    if rng is None:
        rng = np.random.default_rng(seed)
    start = rng.normal(0.0, 1.0, (samples, 1))
    speed = rng.uniform(0.1, 0.25, (samples, 1))  # each signal wanders at its own pace
    steps = rng.normal(0.0, 1.0, (samples, TIMESTEPS)) * speed
    steps[:, 0] = 0.0
    x = (start + np.cumsum(steps, axis=1)).round(3)
    before = np.concatenate([np.repeat(x[:, :1], LAG, axis=1), x[:, :-LAG]], axis=1)
    change = x - before
    y = np.where(change > FLAT, 1, np.where(change < -FLAT, 2, 0))
    return x[..., None].astype("float32"), y.astype("int64")


def make_heldout(public: dict[str, np.ndarray], rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """`size` new samples from the same distribution as public["x"], public["y"] (as loaded from trends.npz).

    Independent of the public samples; all randomness from `rng`. x float32 (size, 24, 1), y int64 (size, 24).
    """
    size = int(size)
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    public_x, public_y = np.asarray(public["x"]), np.asarray(public["y"])
    x, y = make_trends(samples=size, rng=rng)
    if x.shape[1:] != public_x.shape[1:] or y.shape[1:] != public_y.shape[1:]:
        raise ValueError(f"public samples are x {public_x.shape[1:]}, y {public_y.shape[1:]}; "
                         f"this generator makes x {x.shape[1:]}, y {y.shape[1:]}")
    return x, y.astype(public_y.dtype, copy=False)


if __name__ == "__main__":
    x, y = make_trends()
    np.savez_compressed("trends.npz", x=x, y=y)
    print(f"trends.npz: x {x.shape} {x.dtype}, y {y.shape} {y.dtype}, tags {np.bincount(y.ravel()).tolist()}")
