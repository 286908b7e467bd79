"""Regenerate traces.npz: seeded synthetic sensor traces with a short local wiggle and a far-away button press.

Each sample has 40 steps and 2 channels: 0 = a noisy sensor reading, 1 = an event channel, 0 everywhere except a jolt
of +1 or -1 (the direction is random and means nothing) at the one step where a button was pressed. Somewhere in the
reading there is one short wiggle, 5 steps long, either up-then-down or down-then-up: the same values in opposite
order, with no mean and no slope. The label combines that local shape with a long-range relation, whether the wiggle
comes before or after the press, 10 to 30 steps away:

    0 = up-then-down, wiggle before the press     1 = up-then-down, wiggle after the press
    2 = down-then-up, wiggle before the press     3 = down-then-up, wiggle after the press

Run from this folder: python make_traces.py. Deterministic: the same seed gives the same file.

make_heldout() draws more samples with a generator the caller seeds: the grader uses it to make the held-out part on
the server from a secret seed, so it is never in this folder.
"""

import numpy as np

SEED = 20261204
SAMPLES = 2400
TIMESTEPS = 40
WIGGLE = np.array([-0.5, 1.0, 0.0, -1.0, 0.5])  # one wiggle: no mean and no slope, so no weighted sum finds it
MOTIF = len(WIGGLE)
GAP_MIN, GAP_MAX = 10, 30  # steps between the press and the motif's middle


def one_trace(label: int, rng: np.random.Generator) -> np.ndarray:
    up_first, after = label < 2, label % 2 == 1
    x = np.zeros((TIMESTEPS, 2))
    x[:, 0] = rng.normal(0.0, 0.35, TIMESTEPS) + rng.normal(0.0, 0.2)  # noise around a per-trace offset
    while True:  # uniform over the (press, motif) placements that fit the trace, are far apart and in the label's order
        press, middle = int(rng.integers(0, TIMESTEPS)), int(rng.integers(MOTIF // 2, TIMESTEPS - MOTIF + MOTIF // 2 + 1))
        if GAP_MIN <= abs(middle - press) <= GAP_MAX and (middle > press) == after:
            break
    start = middle - MOTIF // 2
    wiggle = rng.uniform(1.0, 1.5) * WIGGLE  # first up, then down (or mirrored): the same values in both orders
    x[start:start + MOTIF, 0] += wiggle if up_first else -wiggle
    x[press, 1] = rng.choice([-1.0, 1.0])  # which way the jolt goes does not matter
    return x


def make_traces(seed: int = SEED, samples: int = SAMPLES, *,
                rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`samples` independent traces and their labels, drawn from `rng` (default: a new one seeded with `seed`)."""
    if rng is None:
        rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, samples)
    x = np.stack([one_trace(int(label), rng) for label in y]) if samples else np.zeros((0, TIMESTEPS, 2))
    return x.round(3).astype("float32"), y.astype("int64")  # already in random order


def make_heldout(public: dict[str, np.ndarray], rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """`size` new samples from the same distribution as public["x"], public["y"] (as loaded from traces.npz).

    Independent of the public samples (labels drawn uniformly, as there); all randomness from `rng`.
    x float32 (size, 40, 2), y with the public y's dtype (int64).
    """
    size = int(size)
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    public_x, public_y = np.asarray(public["x"]), np.asarray(public["y"])
    x, y = make_traces(samples=size, rng=rng)
    if x.shape[1:] != public_x.shape[1:] or y.shape[1:] != public_y.shape[1:]:
        raise ValueError(f"public samples are x {public_x.shape[1:]}, y {public_y.shape[1:]}; "
                         f"this generator makes x {x.shape[1:]}, y {y.shape[1:]}")
    return x, y.astype(public_y.dtype, copy=False)


if __name__ == "__main__":
    x, y = make_traces()
    np.savez_compressed("traces.npz", x=x, y=y)
    print(f"traces.npz: x {x.shape} {x.dtype}, y {y.shape} {y.dtype}, counts {np.bincount(y).tolist()}")
