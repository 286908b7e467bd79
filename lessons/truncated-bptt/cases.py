"""Hidden cases for truncated_backward. NumPy only: this file runs inside the sandbox.

The reference answers come from solution.py (finite differences). This file also computes, analytically, what
typical wrong chunkings return on each case ("mistakes"), so that the report can name the mistake.
"""

from __future__ import annotations

import numpy as np

Grads = tuple[np.ndarray, np.ndarray, np.ndarray]


def _forward(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b: np.ndarray) -> np.ndarray:
    h, states = h0, []
    for x_t in x:
        h = np.tanh(x_t @ W_xh + h @ W_hh + b)
        states.append(h)
    return np.stack(states)


def _bptt(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b: np.ndarray, dH: np.ndarray) -> Grads:
    H = _forward(x, h0, W_xh, W_hh, b)
    dW_xh, dW_hh, db = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        dz = (dH[t] + dh_next) * (1 - H[t] ** 2)
        dW_xh, dW_hh, db = dW_xh + np.outer(x[t], dz), dW_hh + np.outer(H[t - 1] if t else h0, dz), db + dz
        dh_next = dz @ W_hh.T
    return dW_xh, dW_hh, db


def _truncated(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b: np.ndarray, dH: np.ndarray,
               k: int, bug: str = "") -> Grads:
    """Truncated BPTT, right when bug is "", else with one typical mistake planted."""
    if bug == "full":
        return _bptt(x, h0, W_xh, W_hh, b, dH)
    T = len(x)
    H = _forward(x, h0, W_xh, W_hh, b)
    starts = list(range(0, T - k + 1, k)) if bug == "drop_tail" else list(range(0, T, k))
    total = (np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b))
    for s in starts:
        if bug == "reset_h0":
            start = h0
        elif bug == "reset_zeros":
            start = np.zeros_like(h0) if s > 0 else h0
        else:
            start = H[s - 1] if s > 0 else h0
        grads = _bptt(x[s:s + k], start, W_xh, W_hh, b, dH[s:s + k])
        total = grads if bug == "last_chunk_only" else tuple(a + g for a, g in zip(total, grads, strict=True))
    return total


MISTAKES = {
    "reset_h0": "every chunk started from h0. The state must be carried forward: chunk c starts from the last "
                "state of chunk c-1 (only the gradient is cut at the boundary, not the state).",
    "reset_zeros": "each chunk after the first started from a zero state, as a stateless layer does. Carry the "
                   "state forward: chunk c starts from the last state of chunk c-1.",
    "full": "this is full BPTT: the gradient crossed the chunk boundaries. Run the backward pass separately for "
            "each chunk, so that nothing flows back from one chunk into the one before it.",
    "drop_tail": "the last, shorter chunk is missing. When k does not divide T, the final chunk has T mod k "
                 "steps: loop over the starts range(0, T, k).",
    "last_chunk_only": "only the last chunk's gradients are there. The chunks' gradients are added up (+=), "
                       "one chunk after another.",
}


def _differs(a: Grads, b: Grads) -> bool:
    return any(not np.allclose(p, q, rtol=1e-4, atol=1e-5) for p, q in zip(a, b, strict=True))


def _case(check: str, title: str, hint: str, args: list, bugs: list[str]) -> dict:
    right = _truncated(*args)
    mistakes: list[dict] = []
    for bug in bugs:
        wrong = _truncated(*args, bug=bug)
        # On some cases a mistake changes nothing (then it is not one there), or gives the same answer as one
        # listed before it (then the first hint is the one to show).
        if _differs(wrong, right) and all(_differs(wrong, m["value"]) for m in mistakes):
            mistakes.append({"value": wrong, "hint": MISTAKES[bug]})
    return {"check": check, "title": title, "function": "truncated_backward", "args": args, "hint": hint,
            "mistakes": mistakes}


def _args(rng: np.random.Generator, steps: int, input_dim: int, hidden: int, k: int, scale: float = 0.7,
          upstream: str = "all") -> list:
    x = rng.normal(0.0, 1.0, (steps, input_dim))
    h0 = rng.normal(0.0, 0.8, hidden)
    W_xh = rng.normal(0.0, scale, (input_dim, hidden))
    W_hh = rng.normal(0.0, scale, (hidden, hidden))
    b = rng.normal(0.0, 0.1, hidden)
    dH = rng.normal(0.0, 1.0, (steps, hidden))
    if upstream == "last":
        dH[:-1] = 0.0
    return [x, h0, W_xh, W_hh, b, dH, k]


def make_cases(rng: np.random.Generator) -> list[dict]:
    cases = []
    every = list(MISTAKES)

    title = "Returns dW_xh, dW_hh and db, shaped like W_xh, W_hh and b"
    hint = "Return the tuple (dW_xh, dW_hh, db): the sums of the chunks' gradients, shaped like the weights."
    for steps, input_dim, hidden, k in [(6, 2, 4, 2), (5, 3, 2, 5)]:
        case = _case("shapes", title, hint, _args(rng, steps, input_dim, hidden, k), [])
        case["compare"] = "shape"
        cases.append(case)

    title = "k ≥ T: one chunk, exactly full BPTT"
    hint = (
        "When k is at least the sequence length there is a single chunk, from h0 to the last step, and the result "
        "is the full BPTT gradient. Slicing x[s:s + k] past the end is safe in NumPy: it just stops at T."
    )
    for steps, input_dim, hidden, k in [(5, 2, 3, 5), (4, 3, 2, 9), (1, 2, 3, 1)]:
        cases.append(_case("whole_sequence", title, hint, _args(rng, steps, input_dim, hidden, k), every))

    title = "k = 1: every step is its own chunk"
    hint = (
        "With k = 1 each step is a chunk: it starts from the true previous state H[t-1] (h0 for t = 0), and its "
        "gradient goes back through that one step only. The result is the sum of T one-step gradients."
    )
    for steps, input_dim, hidden in [(5, 2, 3), (8, 1, 2)]:
        cases.append(_case("one_step_chunks", title, hint, _args(rng, steps, input_dim, hidden, 1), every))

    title = "Each chunk starts from the state the previous chunk ended in"
    hint = (
        "Run the forward pass over the whole sequence once (or carry h from chunk to chunk): chunk c starts from "
        "the last state of chunk c-1, not from h0 or zeros. Only the gradient is cut at a boundary."
    )
    for steps, input_dim, hidden, k in [(6, 2, 3, 2), (8, 3, 4, 4)]:
        args = _args(rng, steps, input_dim, hidden, k, 0.9)
        args[1] = rng.normal(0.0, 2.0, hidden)  # a strong h0: resetting to it (or to zeros) is visible later
        cases.append(_case("carries_state", title, hint, args, every))

    title = "No gradient crosses a chunk boundary"
    hint = (
        "Here only the last state has a loss. With truncation, its gradient reaches the steps of the last chunk and "
        "stops there: run a separate backward pass per chunk and do not carry dh from one chunk into the previous one."
    )
    for steps, input_dim, hidden, k in [(6, 2, 3, 3), (7, 3, 2, 2)]:
        cases.append(_case("cuts_gradient", title, hint, _args(rng, steps, input_dim, hidden, k, 0.9, "last"), every))

    title = "When k does not divide T, the last chunk is shorter"
    hint = (
        "Chunks start at 0, k, 2k, … while the start is below T: range(0, T, k). The last chunk has the steps that "
        "are left (T mod k of them), and its gradient counts like any other."
    )
    for steps, input_dim, hidden, k in [(7, 2, 3, 3), (5, 1, 2, 4), (8, 3, 5, 3)]:
        cases.append(_case("uneven", title, hint, _args(rng, steps, input_dim, hidden, k), every))
    return cases
