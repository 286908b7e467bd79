"""Reference gradients of truncated BPTT, by central finite differences of the chunked forward pass (float64).

Truncated BPTT is defined here by its loss: each chunk runs forward from the state the previous chunk ended in,
and that starting state is a constant (the gradient is cut there). The gradient of the sum of the chunk losses,
taken by finite differences with those starting states held fixed, is therefore exactly the sum of the chunks'
own BPTT gradients. No analytic backward pass is trusted here.
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


def truncated_backward(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b: np.ndarray,
                       dH: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Summed truncated-BPTT gradients (dW_xh, dW_hh, db) of L = sum(dH * states), in chunks of k steps."""
    x, dH = np.asarray(x, dtype="float64"), np.asarray(dH, dtype="float64")
    h0 = np.asarray(h0, dtype="float64")
    params = [np.array(p, dtype="float64") for p in (W_xh, W_hh, b)]  # copies: perturbed in place
    states = rnn_forward(x, h0, *params)  # the real forward pass: where each chunk starts (held fixed below)
    starts = range(0, len(x), k)

    def loss() -> float:
        total = 0.0
        for s in starts:
            start_state = states[s - 1] if s > 0 else h0  # a constant: no gradient flows into the previous chunk
            total += float(np.sum(dH[s:s + k] * rnn_forward(x[s:s + k], start_state, *params)))
        return total

    dW_xh, dW_hh, db = (numerical_gradient(loss, p) for p in params)
    return dW_xh, dW_hh, db
