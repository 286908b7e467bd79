"""Test cases for rnn_forward: the grader runs the learner's function and solution.py's on each case's args.

Each check has a few cases built around one idea, so that its title and hint say what went wrong.
NumPy only: this file runs inside the sandbox.
"""

from __future__ import annotations

import numpy as np


def _params(rng: np.random.Generator, input_dim: int, hidden: int, scale: float = 0.5) -> list[np.ndarray]:
    return [
        rng.normal(0.0, scale, (input_dim, hidden)),  # W_xh
        rng.normal(0.0, scale, (hidden, hidden)),  # W_hh (not symmetric, so W_hh and W_hh.T differ)
        rng.normal(0.0, 0.1, hidden),  # b
    ]


def _case(check: str, title: str, hint: str, x: np.ndarray, h0: np.ndarray, weights: list[np.ndarray]) -> dict:
    return {"check": check, "title": title, "function": "rnn_forward", "args": [x, h0, *weights], "hint": hint}


def make_cases(rng: np.random.Generator) -> list[dict]:
    cases = []

    title = "One step: h₁ = tanh(x₀ @ W_xh + h0 @ W_hh + b)"
    hint = (
        "For a single step the result is np.tanh(x[0] @ W_xh + h0 @ W_hh + b), shaped (1, hidden). Check the "
        "order of the matrix products: x[t] @ W_xh, not W_xh @ x[t]."
    )
    for input_dim, hidden in [(3, 4), (1, 2)]:
        x = rng.normal(size=(1, input_dim))
        cases.append(_case("single_step", title, hint, x, rng.normal(size=hidden), _params(rng, input_dim, hidden)))

    title = "Returns every hidden state, shape (T, hidden)"
    hint = (
        "Collect the state of every step in a list and return np.stack(states): row t is the state after "
        "reading x[t]. Returning only the last state gives shape (hidden,) instead of (T, hidden)."
    )
    for steps, input_dim, hidden in [(6, 3, 5), (12, 2, 3)]:
        # Zero weights and bias: every state is 0, so these cases test the shape of the result and nothing else.
        x = rng.normal(size=(steps, input_dim))
        zeros = [np.zeros((input_dim, hidden)), np.zeros((hidden, hidden)), np.zeros(hidden)]
        cases.append(_case("all_states", title, hint, x, rng.normal(size=hidden), zeros))

    title = "Starts from h0, not from zeros"
    hint = "The first step's previous state is h0, the argument, not np.zeros(hidden). Start the loop with h = h0."
    for hidden in (3, 4):
        x = np.zeros((4, 2))  # no input at all: only h0 can make the states non-zero
        cases.append(_case("initial_state", title, hint, x, rng.normal(0.0, 2.0, hidden), _params(rng, 2, hidden, 0.8)))

    title = "Each step uses the previous step's state"
    hint = (
        "Inside the loop, overwrite h with the new state (h = np.tanh(...)), so that step t+1 reads the state "
        "of step t. If every step reads h0, the network has no memory."
    )
    for hidden in (3, 6):
        x = np.zeros((8, 2))
        x[0] = rng.normal(0.0, 2.0, 2)  # one impulse at t=0; later states only change through W_hh
        cases.append(_case("carries_state", title, hint, x, np.zeros(hidden), _params(rng, 2, hidden, 0.9)))

    title = "The recurrent weights are applied as h @ W_hh"
    hint = (
        "Multiply the previous state on the left: h @ W_hh (shape (hidden,) @ (hidden, hidden)). W_hh @ h "
        "has the same shape but uses the transposed matrix, so the values differ."
    )
    for hidden in (4, 5):
        weights = _params(rng, 3, hidden)
        weights[1] = np.triu(rng.normal(0.0, 0.9, (hidden, hidden)))  # strongly asymmetric
        cases.append(_case("orientation", title, hint, rng.normal(size=(5, 3)), rng.normal(size=hidden), weights))

    title = "Squashes each state with tanh"
    hint = (
        "Use np.tanh, not ReLU or a sigmoid: every hidden value must lie between -1 and 1, and negative "
        "values must stay negative."
    )
    x = rng.normal(0.0, 3.0, (6, 2))  # large inputs: ReLU, sigmoid and tanh give very different states
    cases.append(_case("tanh", title, hint, x, np.zeros(3), _params(rng, 2, 3, 1.5)))
    return cases
