"""Regenerate noisy.npz: a small, noisy training set where the training recipe decides the result.

Each sample is 24 readings of a sensor, each drawn from a standard normal (rounded to 3 decimals), as shape
(24, 1). The target is |reading at step 22| + 0.5 × reading at step 23 + noise (normal, sd 0.5): a V-shaped
response to the second-to-last reading (a linear model cannot bend) plus a straight one to the last, blurred by
noise that no model can predict. With 600 public samples (400 to train on), a large unregularised model
learns the noise of its training samples by heart: its validation loss turns up while its training loss keeps
falling.

Run from this folder: python make_data.py. Deterministic: the same seed gives the same file.

make_heldout() draws more samples with a generator the caller seeds: the grader uses it to make the held-out
part on the server from a secret seed, so it is never in this folder.
"""

import numpy as np

SEED = 20261204
SAMPLES = 600
TIMESTEPS = 24
NOISE = 0.5


def make_noisy(seed: int = SEED, samples: int = SAMPLES, timesteps: int = TIMESTEPS, *,
               rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`samples` independent sequences and their targets, drawn from `rng` (default: a new one seeded with `seed`)."""
    if timesteps < 2:
        raise ValueError(f"timesteps must be at least 2, got {timesteps}")
    if rng is None:
        rng = np.random.default_rng(seed)
    readings = rng.normal(0.0, 1.0, (samples, timesteps)).round(3)
    y = np.abs(readings[:, -2]) + 0.5 * readings[:, -1] + rng.normal(0.0, NOISE, samples)
    return readings[..., None].astype("float32"), y.astype("float32")


def make_heldout(public: dict[str, np.ndarray], rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """`size` new samples from the same distribution as public["x"], public["y"] (as loaded from noisy.npz).

    Independent of the public samples; all randomness from `rng`. Same sequence length as the public x,
    x float32 (size, timesteps, 1), y with the public y's dtype (float32) and shape per sample.
    """
    size = int(size)
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    public_x, public_y = np.asarray(public["x"]), np.asarray(public["y"])
    x, y = make_noisy(samples=size, timesteps=public_x.shape[1], rng=rng)
    if y.size == size * int(np.prod(public_y.shape[1:], dtype=int)):
        y = y.reshape((size, *public_y.shape[1:]))  # the caller may hold targets as (N,) or (N, 1)
    if x.shape[1:] != public_x.shape[1:] or y.shape[1:] != public_y.shape[1:]:
        raise ValueError(f"public samples are x {public_x.shape[1:]}, y {public_y.shape[1:]}; "
                         f"this generator makes x {x.shape[1:]}, y {y.shape[1:]}")
    return x, y.astype(public_y.dtype, copy=False)


if __name__ == "__main__":
    x, y = make_noisy()
    np.savez_compressed("noisy.npz", x=x, y=y)
    print(f"noisy.npz: x {x.shape} {x.dtype}, y {y.shape} {y.dtype}")
