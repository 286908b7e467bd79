"""Regenerate gestures.npz: seeded synthetic 3-axis accelerometer recordings of four wrist gestures.

Classes: 0 = circle drawn clockwise, 1 = circle drawn anticlockwise, 2 = shake, 3 = double tap.
The two circles visit exactly the same (x, y) values, in opposite orders, so only a model that reads
the recording in order can tell them apart. Every recording has its own speed, size, start phase,
sensor offset and noise.

Run from this folder: python make_gestures.py. Deterministic: the same seed gives the same file.

make_heldout() draws more samples with a generator the caller seeds: the grader uses it to make the held-out
part on the server from a secret seed, so it is never in this folder.
"""

import numpy as np

SEED = 20261126
SAMPLES = 1600
TIMESTEPS = 30


def one_gesture(label: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(TIMESTEPS) / TIMESTEPS
    xyz = np.zeros((TIMESTEPS, 3))
    size = rng.uniform(0.7, 1.3)
    if label in (0, 1):  # one or two turns of a circle in the x-y plane
        turns = rng.uniform(1.0, 2.0)
        phase = rng.uniform(0.0, 2 * np.pi)
        direction = -1.0 if label == 0 else 1.0
        angle = phase + direction * 2 * np.pi * turns * t
        xyz[:, 0], xyz[:, 1] = size * np.cos(angle), size * np.sin(angle)
    elif label == 2:  # a fast side-to-side shake, fading in and out
        speed = rng.uniform(5.0, 8.0)
        envelope = np.sin(np.pi * t)
        xyz[:, 0] = size * 1.2 * envelope * np.sin(2 * np.pi * speed * t + rng.uniform(0.0, 2 * np.pi))
    else:  # two short taps along z, at random times
        first = rng.integers(3, 12)
        second = first + rng.integers(6, 14)
        for at in (first, second):
            xyz[:, 2] += size * 2.0 * np.exp(-0.5 * ((np.arange(TIMESTEPS) - at) / 0.8) ** 2)
    offset = rng.normal(0.0, 0.2, 3)  # the sensor is never perfectly calibrated
    return xyz + offset + rng.normal(0.0, 0.15, (TIMESTEPS, 3))


def make_gestures(seed: int = SEED, samples: int = SAMPLES, *,
                  rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`samples` independent recordings and their gestures, drawn from `rng` (default: a new one seeded with `seed`)."""
    if rng is None:
        rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, samples)
    x = np.stack([one_gesture(int(label), rng) for label in y]) if samples else np.zeros((0, TIMESTEPS, 3))
    return x.round(3).astype("float32"), y.astype("int64")  # already in random order


def make_heldout(public: dict[str, np.ndarray], rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """`size` new samples from the same distribution as public["x"], public["y"] (as loaded from gestures.npz).

    Independent of the public samples (gestures drawn uniformly, as there); all randomness from `rng`.
    x float32 (size, 30, 3), y with the public y's dtype (int64).
    """
    size = int(size)
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    public_x, public_y = np.asarray(public["x"]), np.asarray(public["y"])
    x, y = make_gestures(samples=size, rng=rng)
    if x.shape[1:] != public_x.shape[1:] or y.shape[1:] != public_y.shape[1:]:
        raise ValueError(f"public samples are x {public_x.shape[1:]}, y {public_y.shape[1:]}; "
                         f"this generator makes x {x.shape[1:]}, y {y.shape[1:]}")
    return x, y.astype(public_y.dtype, copy=False)


if __name__ == "__main__":
    x, y = make_gestures()
    np.savez_compressed("gestures.npz", x=x, y=y)
    print(f"gestures.npz: x {x.shape} {x.dtype}, y {y.shape} {y.dtype}, counts {np.bincount(y).tolist()}")
