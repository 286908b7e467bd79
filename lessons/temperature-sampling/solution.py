"""Reference solution: a numerically stable softmax with temperature, and inverse-CDF sampling from given uniforms."""

import numpy as np


def softmax_with_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(logits / temperature) over the last axis, stable for any size of logits and any temperature > 0."""
    z = np.asarray(logits, dtype="float64") / temperature
    z = z - np.max(z, axis=-1, keepdims=True)  # the largest becomes 0: exp never overflows, the sum is at least 1
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)


def sample_with_temperature(logits: np.ndarray, temperature: float, rng_uniform: np.ndarray) -> np.ndarray:
    """One token id per row of logits (batch, vocab): the smallest k with rng_uniform[row] < cdf[row, k]."""
    p = softmax_with_temperature(logits, temperature)
    cdf = np.cumsum(p, axis=-1)
    u = np.asarray(rng_uniform, dtype="float64")[..., None]
    ids = np.sum(cdf <= u, axis=-1)  # how many pieces of [0, 1) lie wholly at or below u
    return np.minimum(ids, p.shape[-1] - 1)  # a u above a cdf that rounded to just under 1 takes the last token
