"""Sample the next token with a temperature: a stable softmax, then inverse-CDF sampling from given draws.

The grader calls both functions on hidden logits (some of them huge) and compares the probabilities and the
sampled token ids with a reference implementation. Sampling gets its randomness from the argument
rng_uniform, so the same draws must always give the same tokens.

As written, both functions run and return the right shapes, but the softmax overflows for large logits or a
small temperature, and the sampler is greedy: it ignores the draws and always returns the most likely token.
Submit it once to see which checks fail, then fix the TODOs.
"""

import numpy as np


def softmax_with_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(logits / temperature) over the last axis.

    Args:
        logits:      scores, shape (vocab,) or (batch, vocab): any real numbers, possibly very large.
        temperature: a number > 0. Below 1 sharpens the distribution, above 1 flattens it.

    Returns:
        Probabilities of the same shape as logits; each row sums to 1.
    """
    z = np.asarray(logits, dtype="float64") / temperature
    # TODO 1: np.exp overflows to inf once z > 709 (and every entry underflows to 0 when all are below -745):
    #         inf / inf and 0 / 0 are nan. Shift z so that its largest entry per row is 0 first; the result
    #         does not change, because the shift cancels between the numerator and the sum.
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)


def sample_with_temperature(logits: np.ndarray, temperature: float, rng_uniform: np.ndarray) -> np.ndarray:
    """Draw one token id per row of logits.

    Args:
        logits:      shape (batch, vocab).
        temperature: a number > 0.
        rng_uniform: shape (batch,): one uniform draw in [0, 1) per row, made by the caller.

    Returns:
        Token ids, shape (batch,), integers: for each row, the smallest k with u < cdf[k], where
        cdf = cumulative sum of softmax_with_temperature(logits, temperature) along the row.
    """
    probs = softmax_with_temperature(logits, temperature)
    # TODO 2: this is greedy decoding: the most likely token every time, whatever the draw. Generated text then
    #         falls into loops. Use rng_uniform: build the cumulative distribution of each row and return the
    #         first token whose cumulative probability is greater than the row's draw.
    return np.argmax(probs, axis=-1)
