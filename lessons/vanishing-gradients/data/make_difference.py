"""Regenerate difference.npz: the marked-difference problem, a test of long-range memory that depends on order.

Each sample is a sequence of TIMESTEPS steps with two features: a random value in [0, 1) and a marker that
is 1 at exactly two steps and 0 elsewhere. The target is the value at the FIRST marker minus the value at
the SECOND marker. The first marker is in steps 0 to TIMESTEPS - MIN_GAP - 1, the second from MIN_GAP steps
after it to the end, so the model must hold the first marked value for at least MIN_GAP steps. Swapping the
two marked values leaves the multiset of steps unchanged but flips the sign of the target, so any
order-blind summary of the steps (sums, means, products of features over the steps) carries no information
about it: only the order of the steps does.

Run from this folder: python make_difference.py. Deterministic: the same seed gives the same file.

make_heldout() draws more samples with a generator the caller seeds: the grader uses it to make the held-out
part on the server from a secret seed, so it is never in this folder.
"""

import numpy as np

SEED = 20261122
SAMPLES = 4000
TIMESTEPS = 60
MIN_GAP = 30


def make_difference(seed: int = SEED, samples: int = SAMPLES, timesteps: int = TIMESTEPS, *,
                    rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`samples` independent sequences and their targets, drawn from `rng` (default: a new one seeded with `seed`)."""
    if timesteps <= MIN_GAP:
        raise ValueError(f"timesteps must be more than MIN_GAP = {MIN_GAP}, got {timesteps}")
    if rng is None:
        rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, (samples, timesteps)).round(3)
    markers = np.zeros((samples, timesteps))
    rows = np.arange(samples)
    first = rng.integers(0, timesteps - MIN_GAP, samples)
    second = rng.integers(first + MIN_GAP, timesteps)  # one draw per sample, from MIN_GAP after its first marker
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype("float32")
    y = (values[rows, first] - values[rows, second]).astype("float32")
    return x, y  # samples are independent and already in random order


def make_heldout(public: dict[str, np.ndarray], rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """`size` new samples from the same distribution as public["x"], public["y"] (as loaded from difference.npz).

    Independent of the public samples; all randomness from `rng`. Same sequence length as the public x,
    x float32 (size, timesteps, 2), y with the public y's dtype (float32) and shape per sample.
    """
    size = int(size)
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    public_x, public_y = np.asarray(public["x"]), np.asarray(public["y"])
    x, y = make_difference(samples=size, timesteps=public_x.shape[1], rng=rng)
    if y.size == size * int(np.prod(public_y.shape[1:], dtype=int)):
        y = y.reshape((size, *public_y.shape[1:]))  # the caller may hold targets as (N,) or (N, 1)
    if x.shape[1:] != public_x.shape[1:] or y.shape[1:] != public_y.shape[1:]:
        raise ValueError(f"public samples are x {public_x.shape[1:]}, y {public_y.shape[1:]}; "
                         f"this generator makes x {x.shape[1:]}, y {y.shape[1:]}")
    return x, y.astype(public_y.dtype, copy=False)


if __name__ == "__main__":
    x, y = make_difference()
    np.savez_compressed("difference.npz", x=x, y=y)
    print(f"difference.npz: x {x.shape} {x.dtype}, y {y.shape} {y.dtype}")
