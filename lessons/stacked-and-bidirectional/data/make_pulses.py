"""Regenerate pulses.npz: noisy sequences that each hold two pulses; the class is the signs of the pulses, in order.

Classes: 0 = up then down, 1 = down then up, 2 = up then up, 3 = down then down. Classes 0 and 1 contain
exactly the same kinds of values and differ only in their order, so a model that ignores order cannot
tell them apart. Each sequence also drifts slowly, so a pulse is "up" or "down" relative to its
neighbourhood, not to zero.

Run from this folder: python make_pulses.py. Deterministic: the same seed gives the same file.

make_heldout() draws more samples with a generator the caller seeds: the grader uses it to make the held-out
part on the server from a secret seed, so it is never in this folder.
"""

import numpy as np

SEED = 20261124
SAMPLES = 2000
TIMESTEPS = 40
SIGNS = {0: (1, -1), 1: (-1, 1), 2: (1, 1), 3: (-1, -1)}


def make_pulses(seed: int = SEED, samples: int = SAMPLES, timesteps: int = TIMESTEPS, *,
                rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`samples` independent sequences and their classes, drawn from `rng` (default: a new one seeded with `seed`)."""
    if rng is None:
        rng = np.random.default_rng(seed)
    t = np.arange(timesteps)
    y = rng.integers(0, len(SIGNS), samples)
    x = np.zeros((samples, timesteps))
    for n in range(samples):
        drift = np.cumsum(rng.normal(0.0, 0.05, timesteps))
        first = rng.integers(2, timesteps // 2 - 4)
        second = rng.integers(first + 8, timesteps - 2)
        pulses = np.zeros(timesteps)
        for centre, sign in zip((first, second), SIGNS[int(y[n])], strict=True):
            height = rng.uniform(1.0, 1.8)
            pulses += sign * height * np.exp(-0.5 * ((t - centre) / 1.2) ** 2)
        x[n] = drift + pulses + rng.normal(0.0, 0.2, timesteps)
    return x[:, :, None].round(4).astype("float32"), y.astype("int64")  # already in random order


def make_heldout(public: dict[str, np.ndarray], rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """`size` new samples from the same distribution as public["x"], public["y"] (as loaded from pulses.npz).

    Independent of the public samples (classes drawn uniformly, as there); all randomness from `rng`. Same
    sequence length as the public x, x float32 (size, timesteps, 1), y with the public y's dtype (int64).
    """
    size = int(size)
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    public_x, public_y = np.asarray(public["x"]), np.asarray(public["y"])
    x, y = make_pulses(samples=size, timesteps=public_x.shape[1], rng=rng)
    if x.shape[1:] != public_x.shape[1:] or y.shape[1:] != public_y.shape[1:]:
        raise ValueError(f"public samples are x {public_x.shape[1:]}, y {public_y.shape[1:]}; "
                         f"this generator makes x {x.shape[1:]}, y {y.shape[1:]}")
    return x, y.astype(public_y.dtype, copy=False)


if __name__ == "__main__":
    x, y = make_pulses()
    np.savez_compressed("pulses.npz", x=x, y=y)
    print(f"pulses.npz: x {x.shape} {x.dtype}, y {y.shape} {y.dtype}, counts {np.bincount(y).tolist()}")
