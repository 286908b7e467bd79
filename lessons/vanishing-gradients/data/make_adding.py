"""Regenerate adding.npz: the adding problem, a classic test of long-range memory for recurrent networks.

Each sample is a sequence of TIMESTEPS steps with two features: a random value in [0, 1) and a marker
that is 1 at exactly two steps and 0 elsewhere. The first marker sits in the first FIRST_SPAN steps, the
second anywhere after that, so the model must remember a value for up to TIMESTEPS steps. The target is
the sum of the two marked values.

Run from this folder: python make_adding.py. Deterministic: the same seed gives the same file.

make_heldout() draws more samples with a generator the caller seeds: the grader uses it to make the held-out
part on the server from a secret seed, so it is never in this folder.
"""

import numpy as np

SEED = 20261122
SAMPLES = 4000
TIMESTEPS = 50
FIRST_SPAN = 10


def make_adding(seed: int = SEED, samples: int = SAMPLES, timesteps: int = TIMESTEPS, *,
                rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`samples` independent sequences and their targets, drawn from `rng` (default: a new one seeded with `seed`)."""
    if rng is None:
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


def make_heldout(public: dict[str, np.ndarray], rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """`size` new samples from the same distribution as public["x"], public["y"] (as loaded from adding.npz).

    Independent of the public samples; all randomness from `rng`. Same sequence length as the public x,
    x float32 (size, timesteps, 2), y with the public y's dtype (float32) and shape per sample.
    """
    size = int(size)
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    public_x, public_y = np.asarray(public["x"]), np.asarray(public["y"])
    x, y = make_adding(samples=size, timesteps=public_x.shape[1], rng=rng)
    if y.size == size * int(np.prod(public_y.shape[1:], dtype=int)):
        y = y.reshape((size, *public_y.shape[1:]))  # the caller may hold targets as (N,) or (N, 1)
    if x.shape[1:] != public_x.shape[1:] or y.shape[1:] != public_y.shape[1:]:
        raise ValueError(f"public samples are x {public_x.shape[1:]}, y {public_y.shape[1:]}; "
                         f"this generator makes x {x.shape[1:]}, y {y.shape[1:]}")
    return x, y.astype(public_y.dtype, copy=False)


if __name__ == "__main__":
    x, y = make_adding()
    np.savez_compressed("adding.npz", x=x, y=y)
    print(f"adding.npz: x {x.shape} {x.dtype}, y {y.shape} {y.dtype}")
