"""Test cases for softmax_with_temperature and sample_with_temperature, with the answers of typical mistakes.

Sampling is graded through the uniform draws the grader passes in: the same draws must give the same tokens.
The draws are kept away from the borders between tokens, so that rounding in a learner's cumulative sum can
never change a token. NumPy only: this file runs inside the sandbox.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Array = np.ndarray


def _softmax(logits: Array, temperature: float, axis: int | None = -1) -> Array:
    z = np.asarray(logits, dtype="float64") / temperature
    z = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def _inverse_cdf(p: Array, u: Array) -> Array:
    return np.minimum(np.sum(np.cumsum(p, axis=-1) <= np.asarray(u)[..., None], axis=-1), p.shape[-1] - 1)


def _uniforms(rng: np.random.Generator, p: Array) -> Array:
    """One draw per row, at least 1e-6 away from every border of the row's cumulative distribution."""
    cdf = np.cumsum(p, axis=-1)
    u = rng.uniform(size=p.shape[0])
    for row in range(p.shape[0]):
        while np.min(np.abs(cdf[row] - u[row])) < 1e-6:
            u[row] = rng.uniform()
    return u


def _softmax_case(check: str, title: str, hint: str, logits: Array, temperature: float,
                  mistakes: Sequence[tuple[Array, str]] = ()) -> dict:
    right = _softmax(logits, temperature)
    found = [{"value": value, "hint": text} for value, text in mistakes if not np.allclose(value, right, atol=1e-6)]
    return {"check": check, "title": title, "function": "softmax_with_temperature", "args": [logits, temperature],
            "hint": hint, "mistakes": found}


def _sample_case(check: str, title: str, hint: str, logits: Array, temperature: float, u: Array,
                 mistakes: Sequence[tuple[Array, str]] = ()) -> dict:
    right = _inverse_cdf(_softmax(logits, temperature), u)
    found = [{"value": value, "hint": text} for value, text in mistakes if not np.array_equal(value, right)]
    return {"check": check, "title": title, "function": "sample_with_temperature", "args": [logits, temperature, u],
            "hint": hint, "mistakes": found}


MULTIPLIED = ("you multiplied the logits by the temperature. Divide them: softmax(logits / T), so that a small T "
              "sharpens the distribution and a large T flattens it.")
IGNORED = "your answer does not depend on the temperature: divide the logits by it before the softmax."


def make_cases(rng: np.random.Generator) -> list[dict]:
    cases = []

    title = "softmax at T = 1: positive, sums to 1"
    hint = "p = np.exp(z) / np.sum(np.exp(z)) with z = logits / temperature: every entry positive, the sum 1."
    for vocab in (5, 12):
        cases.append(_softmax_case("softmax", title, hint, rng.normal(0.0, 2.0, vocab), 1.0))

    title = "Each row of a batch is its own distribution"
    hint = (
        "For logits of shape (batch, vocab), normalise every row separately: take the max and the sum over the "
        "last axis with axis=-1, keepdims=True, so that each row sums to 1."
    )
    for batch, vocab in [(3, 6), (5, 4)]:
        logits = rng.normal(0.0, 2.0, (batch, vocab))
        text = ("your probabilities sum to 1 over the whole array, not per row. Sum over the last axis: "
                "np.sum(e, axis=-1, keepdims=True).")
        shifted = np.exp(logits - np.max(logits, axis=-1, keepdims=True))  # the max per row, the sum over all
        mistakes = [(_softmax(logits, 1.0, axis=None), text), (shifted / np.sum(shifted), text)]
        cases.append(_softmax_case("rows", title, hint, logits, 1.0, mistakes))

    title = "The temperature divides the logits"
    hint = (
        "softmax(logits / T): T < 1 makes the likely tokens likelier, T > 1 spreads the probability out. At "
        "T = 0.5 every probability is squared before renormalising."
    )
    for temperature in (0.5, 2.0, 0.8):
        logits = rng.normal(0.0, 2.0, (2, 7))
        power = _softmax(logits, 1.0) ** (1.0 / temperature)  # the right shape, but no longer summing to 1
        mistakes = [(_softmax(logits, 1.0 / temperature), MULTIPLIED), (_softmax(logits, 1.0), IGNORED),
                    (power, "you raised the probabilities to the power 1/T but did not renormalise them: "
                            "divide by their sum again (or, simpler, take the softmax of logits / T).")]
        cases.append(_softmax_case("temperature", title, hint, logits, temperature, mistakes))

    title = "Stable for huge logits"
    hint = (
        "np.exp(1000) is inf, and inf / inf is nan; np.exp(-1000) is 0, and 0 / 0 is nan. Subtract the row's "
        "maximum from logits / T before np.exp: the result is the same, mathematically, and the largest term "
        "becomes exp(0) = 1."
    )
    cases.append(_softmax_case("stable", title, hint, np.array([1000.0, 999.0, 990.0, 1001.5]), 1.0))
    cases.append(_softmax_case("stable", title, hint, np.array([-1000.0, -1003.0, -1000.5]), 1.0))
    cases.append(_softmax_case("stable", title, hint, rng.normal(0.0, 50.0, (3, 8)), 0.1))

    title = "Extreme temperatures: T → 0 is argmax, T → ∞ is uniform"
    hint = (
        "With T = 0.001 the largest logit takes (almost) all the probability, split equally between tied "
        "maxima; with T = 10000 every token gets about 1/vocab. Both need the stable softmax: logits / 0.001 "
        "are in the thousands."
    )
    cases.append(_softmax_case("extremes", title, hint, rng.normal(0.0, 3.0, (2, 6)), 1e-3))
    cases.append(_softmax_case("extremes", title, hint, np.array([1.0, 3.0, -2.0, 3.0, 0.5]), 1e-3))  # a tie
    cases.append(_softmax_case("extremes", title, hint, rng.normal(0.0, 3.0, 9), 1e4))

    title = "Sampling: the smallest k with u < cdf[k]"
    hint = (
        "Cut [0, 1) into pieces of length p[0], p[1], …: token k owns [cdf[k-1], cdf[k]). The draw u picks "
        "the piece it falls in: the smallest k with u < cdf[k], where cdf = np.cumsum(p, axis=-1). Use the "
        "draws you are given, one per row, not a random generator of your own."
    )
    greedy = "you returned the most likely token of every row (greedy decoding). Sample instead: the draw u " \
             "picks the token whose piece of the cumulative distribution contains it."
    for batch, vocab in [(6, 5), (8, 10)]:
        logits = rng.normal(0.0, 1.5, (batch, vocab))
        u = _uniforms(rng, _softmax(logits, 1.0))
        mistakes = [(np.argmax(logits, axis=-1), greedy)]
        cases.append(_sample_case("inverse_cdf", title, hint, logits, 1.0, u, mistakes))

    title = "Sampling uses the temperature"
    hint = (
        "Sample from softmax(logits / T), not from softmax(logits): call your softmax_with_temperature first, "
        "then apply the inverse CDF to its probabilities."
    )
    base = np.array([2.0, 1.0, 0.5, 0.0, -1.0])
    for temperature in (0.3, 3.0):
        logits = np.tile(base, (40, 1))  # one distribution, 40 draws spread over [0, 1)
        p = _softmax(logits, temperature)
        u = _uniforms(rng, p)
        mistakes = [(_inverse_cdf(_softmax(logits, 1.0 / temperature), u), MULTIPLIED),
                    (_inverse_cdf(_softmax(logits, 1.0), u), IGNORED), (np.zeros(40, dtype=int), greedy)]
        cases.append(_sample_case("sample_temperature", title, hint, logits, temperature, u, mistakes))

    title = "Sampling edge cases: impossible tokens, huge logits, one token"
    hint = (
        "A token with probability 0 must never be drawn, even for u = 0: compare u < cdf[k] (strictly). Huge "
        "logits need the stable softmax. With a single token, its id 0 is the only answer."
    )
    zero_first = ("you drew a token whose probability is 0. With u = 0.0 and p = [0, 1, 0], the answer is 1: "
                  "the smallest k with u < cdf[k], strictly less.")
    logits = np.array([[0.0, 5.0, 1.0], [2.0, 2.0, -3.0]])
    u = np.array([0.0, 0.25])  # T = 0.001: row 0 is [0, 1, 0]; row 1 splits evenly between tokens 0 and 1
    cases.append(_sample_case("sample_edges", title, hint, logits, 1e-3, u, [(np.array([0, 0]), zero_first)]))
    logits = rng.normal(0.0, 400.0, (4, 6))
    cases.append(_sample_case("sample_edges", title, hint, logits, 0.5, _uniforms(rng, _softmax(logits, 0.5))))
    cases.append(_sample_case("sample_edges", title, hint, np.zeros((3, 1)), 1.0, np.array([0.1, 0.5, 0.9])))
    return cases
