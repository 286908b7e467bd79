"""Hidden cases for rnn_backward. NumPy only: this file runs inside the sandbox.

The reference answers come from solution.py (finite differences). This file also computes, analytically, what
typical wrong backward passes return on each case ("mistakes"), so that a learner whose answer reproduces one is
told which mistake it is rather than only that the numbers differ.
"""

from __future__ import annotations

import numpy as np

Grads = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _forward(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b: np.ndarray) -> np.ndarray:
    h, states = h0, []
    for x_t in x:
        h = np.tanh(x_t @ W_xh + h @ W_hh + b)
        states.append(h)
    return np.stack(states)


def _backward(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b: np.ndarray, dH: np.ndarray,
              bug: str = "") -> Grads:
    """BPTT, right when bug is "", else with one typical mistake planted."""
    H = _forward(x, h0, W_xh, W_hh, b)
    prev = np.vstack([h0[None, :], H[:-1]])  # prev[t]: the state step t read
    dW_xh, dW_hh, db = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b)
    steps = [len(x) - 1] if bug == "last_step_only" else reversed(range(len(x)))
    dh_next = np.zeros_like(h0)
    for t in steps:
        dh = dH[t] if bug in ("no_carry", "no_send_back", "no_recurrent_path") else dH[t] + dh_next
        if bug == "no_tanh_grad":
            dz = dh
        elif bug == "tanh_grad_of_prev":
            dz = dh * (1 - prev[t] ** 2)
        else:
            dz = dh * (1 - H[t] ** 2)
        grads = (np.outer(x[t], dz), np.outer(H[t] if bug == "outer_with_new_state" else prev[t], dz), dz)
        if bug == "no_recurrent_path":
            grads = (grads[0], np.zeros_like(W_hh), grads[2])
        if bug == "overwrite":
            dW_xh, dW_hh, db = grads
        else:
            dW_xh, dW_hh, db = dW_xh + grads[0], dW_hh + grads[1], db + grads[2]
        dh_next = dz @ W_hh if bug == "carry_not_transposed" else dz @ W_hh.T
        if bug in ("no_send_back", "no_recurrent_path"):
            dh_next = np.zeros_like(h0)
    return dW_xh, dW_hh, db, dh_next


MISTAKES = {
    "no_recurrent_path": "nothing flows through W_hh yet: dW_hh is zero, and no gradient goes back to earlier steps "
                         "or to h0. Step t adds np.outer(h_prev, dz) to dW_hh and sends dz @ W_hh.T back to the state "
                         "it read; the step before adds that to its own dH.",
    "no_carry": "each step used only its own dH[t]. The gradient that reaches h_t is dH[t] PLUS what flows back "
                "from step t+1 (dz_(t+1) @ W_hh.T): carry it in a variable through the backward loop.",
    "no_send_back": "no gradient goes back to the previous state, so dh0 is zero and earlier steps only see their "
                    "own dH[t]. Each step sends dz @ W_hh.T to the state it read: add it to the gradient of step t-1, "
                    "and after the loop it is dh0.",
    "last_step_only": "only the last step's gradient is there. Loop backwards over every step, t = T-1 down to 0, "
                      "and add each step's contribution.",
    "overwrite": "only one step's contribution survives: the gradients were assigned (=) in the loop instead of "
                 "added (+=). W_xh, W_hh and b are shared by every step, so their gradients are sums over time.",
    "no_tanh_grad": "the tanh derivative is missing. Before the weights, multiply by tanh'(z_t) = 1 − h_t²: "
                    "dz = dh * (1 - h_t**2).",
    "tanh_grad_of_prev": "the tanh derivative used the previous state. h_t = tanh(z_t), so tanh'(z_t) = 1 − h_t² "
                         "with h_t the state this step produced, not the one it read.",
    "outer_with_new_state": "dW_hh used the state the step produced. z_t = x_t @ W_xh + h_(t-1) @ W_hh + b, so "
                            "dW_hh += np.outer(h_(t-1), dz): the state the step read (h0 for the first step).",
    "carry_not_transposed": "the gradient went back through W_hh, not its transpose. z_t = h_(t-1) @ W_hh, so "
                            "d h_(t-1) = dz @ W_hh.T.",
}


def _differs(a: Grads, b: Grads) -> bool:
    return any(not np.allclose(p, q, rtol=1e-4, atol=1e-5) for p, q in zip(a, b, strict=True))


def _case(check: str, title: str, hint: str, args: list[np.ndarray], bugs: list[str]) -> dict:
    right = _backward(*args)
    mistakes: list[dict] = []
    for bug in bugs:
        wrong = _backward(*args, bug=bug)
        # On some cases a mistake changes nothing (then it is not one there), or gives the same answer as one
        # listed before it (then the first, more general, hint is the one to show).
        if _differs(wrong, right) and all(_differs(wrong, m["value"]) for m in mistakes):
            mistakes.append({"value": wrong, "hint": MISTAKES[bug]})
    return {"check": check, "title": title, "function": "rnn_backward", "args": args, "hint": hint,
            "mistakes": mistakes}


def _args(rng: np.random.Generator, steps: int, input_dim: int, hidden: int, scale: float = 0.6,
          upstream: str = "all") -> list[np.ndarray]:
    x = rng.normal(0.0, 1.0, (steps, input_dim))
    h0 = rng.normal(0.0, 0.5, hidden)
    W_xh = rng.normal(0.0, scale, (input_dim, hidden))
    W_hh = rng.normal(0.0, scale, (hidden, hidden))  # not symmetric: W_hh and W_hh.T differ
    b = rng.normal(0.0, 0.1, hidden)
    dH = rng.normal(0.0, 1.0, (steps, hidden))
    if upstream == "last":
        dH[:-1] = 0.0  # a loss on the last state only: earlier steps get gradient only through the carry
    return [x, h0, W_xh, W_hh, b, dH]


def make_cases(rng: np.random.Generator) -> list[dict]:
    cases = []
    every = list(MISTAKES)

    title = "Returns dW_xh, dW_hh, db and dh0, each shaped like W_xh, W_hh, b and h0"
    hint = (
        "A gradient has the shape of what it is the gradient of. With dz of shape (hidden,), np.outer(x[t], dz) is "
        "(input_dim, hidden) like W_xh, np.outer(h_prev, dz) is (hidden, hidden) like W_hh, and dz @ W_hh.T is "
        "(hidden,) like h0. Return the four as a tuple in that order."
    )
    for steps, input_dim, hidden in [(3, 2, 4), (5, 4, 3)]:
        case = _case("shapes", title, hint, _args(rng, steps, input_dim, hidden), [])
        case["compare"] = "shape"
        cases.append(case)

    title = "One step: back through tanh to W_xh, W_hh, b and h0"
    hint = (
        "For T = 1: dz = dH[0] * (1 - h1**2), then dW_xh = np.outer(x[0], dz), dW_hh = np.outer(h0, dz), db = dz "
        "and dh0 = dz @ W_hh.T."
    )
    for input_dim, hidden in [(3, 4), (1, 2), (2, 5)]:
        cases.append(_case("one_step", title, hint, _args(rng, 1, input_dim, hidden, 0.8), every))

    title = "A loss on the last state reaches every earlier step"
    hint = (
        "Only the last state has a loss here, yet every step changed it through the chain h1 → h2 → … → h_T. Walk "
        "backwards and carry dh: at step t the gradient is dH[t] + (what step t+1 sent back), and each step sends "
        "dz @ W_hh.T to the step before it. dh0 is what the first step sends back."
    )
    for steps, input_dim, hidden in [(6, 2, 3), (8, 3, 5), (4, 1, 1)]:
        cases.append(_case("through_time", title, hint, _args(rng, steps, input_dim, hidden, 0.9, "last"), every))

    title = "Every step's loss adds to the shared weights' gradients"
    hint = (
        "W_xh, W_hh and b are used at every step, so their gradients are sums over the steps: start them at zero "
        "and add (+=) each step's outer products and dz. dh at step t is dH[t] plus the gradient carried back from "
        "step t+1."
    )
    for steps, input_dim, hidden in [(4, 3, 2), (7, 2, 4), (8, 4, 5)]:
        cases.append(_case("summed", title, hint, _args(rng, steps, input_dim, hidden), every))
    zero = _args(rng, 5, 2, 3)
    zero[-1] = np.zeros((5, 3))  # no loss at all: every gradient is exactly zero
    cases.append(_case("summed", title, hint, zero, []))

    title = "Saturated states: tanh'(z) = 1 − h² uses the step's own new state"
    hint = (
        "With large weights the states sit near ±1, where tanh is flat and passes almost no gradient. Multiply dh by "
        "1 - h_t**2, where h_t is the state step t produced (H[t]), not the state it read."
    )
    for steps, input_dim, hidden in [(5, 2, 3), (6, 3, 4)]:
        args = _args(rng, steps, input_dim, hidden, 2.0)
        cases.append(_case("saturated", title, hint, args, every))
    return cases
