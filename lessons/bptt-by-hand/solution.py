"""Reference gradients of a plain RNN, computed by central finite differences of its forward pass (float64).

The grader's answers come from this file, so "checked against finite differences" is literally true: no
analytic backward pass is trusted here. Cases are small (T ≤ 8, hidden ≤ 5), so the loop over every weight is fast.
"""

import numpy as np

EPS = 3e-6  # near the cube root of float64's machine epsilon (6e-6): truncation and rounding errors balance


def rnn_forward(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Every hidden state, shape (T, hidden): H[t] = tanh(x[t] @ W_xh + H[t-1] @ W_hh + b), H[-1] = h0."""
    h = h0
    states = []
    for x_t in x:
        h = np.tanh(x_t @ W_xh + h @ W_hh + b)
        states.append(h)
    return np.stack(states)


def numerical_gradient(loss, array: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """d loss / d array, one entry at a time: (loss(a + ε) − loss(a − ε)) / 2ε. `array` is restored afterwards."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        kept = array[index]
        array[index] = kept + EPS
        plus = loss()
        array[index] = kept - EPS
        minus = loss()
        array[index] = kept
        grad[index] = (plus - minus) / (2 * EPS)
    return grad


def rnn_backward(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b: np.ndarray,
                 dH: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of L = sum(dH * rnn_forward(x, h0, W_xh, W_hh, b)) with respect to W_xh, W_hh, b and h0."""
    x, dH = np.asarray(x, dtype="float64"), np.asarray(dH, dtype="float64")
    params = [np.array(p, dtype="float64") for p in (W_xh, W_hh, b, h0)]  # copies: perturbed in place

    def loss() -> float:
        W_xh_, W_hh_, b_, h0_ = params
        return float(np.sum(dH * rnn_forward(x, h0_, W_xh_, W_hh_, b_)))

    dW_xh, dW_hh, db, dh0 = (numerical_gradient(loss, p) for p in params)
    return dW_xh, dW_hh, db, dh0
