"""Truncated backpropagation through time: chunks of k steps, the state carried forward, the gradient cut.

The grader calls truncated_backward on small random sequences and compares your three gradients with gradients
computed by finite differences of the chunked forward pass (to about 5 significant digits).

rnn_backward below is full BPTT on one sequence, the answer to the previous lesson (bptt-by-hand): do that lesson
first if you have not. Here you use it as a building block, once per chunk.

As written, truncated_backward splits the sequence into chunks and cuts the gradient between them, but every
chunk starts again from h0: the memory is wiped at each boundary. Submit it once to see which checks fail.
"""

import numpy as np


def rnn_forward(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Every hidden state, shape (T, hidden)."""
    h = h0
    states = []
    for x_t in x:
        h = np.tanh(x_t @ W_xh + h @ W_hh + b)
        states.append(h)
    return np.stack(states)


def rnn_backward(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b: np.ndarray,
                 dH: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Full BPTT: the gradients of sum(dH * rnn_forward(x, h0, ...)) for W_xh, W_hh, b and h0."""
    H = rnn_forward(x, h0, W_xh, W_hh, b)
    dW_xh, dW_hh, db = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b)
    dh_prev = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        dz = (dH[t] + dh_prev) * (1 - H[t] ** 2)
        dW_xh += np.outer(x[t], dz)
        dW_hh += np.outer(H[t - 1] if t > 0 else h0, dz)
        db += dz
        dh_prev = dz @ W_hh.T
    return dW_xh, dW_hh, db, dh_prev


def truncated_backward(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b: np.ndarray,
                       dH: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The summed gradients of truncated BPTT with chunks of k steps.

    Args:
        x, h0, W_xh, W_hh, b, dH: as in rnn_backward; x and dH have T rows.
        k: the chunk length, at least 1. Chunks start at steps 0, k, 2k, …; the last one may be shorter.

    Returns:
        (dW_xh, dW_hh, db): the sum over chunks of each chunk's own BPTT gradients, where each chunk runs from the
        state the previous chunk ended in (h0 for the first) and no gradient flows from a chunk into the one before.
    """
    dW_xh, dW_hh, db = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b)
    for s in range(0, len(x), k):
        # TODO: the forward pass must not forget at a chunk boundary. Start this chunk from the state the previous
        #       chunk ended in (h0 only for the first chunk). Only the gradient is cut there, and it already is:
        #       each chunk gets its own call to rnn_backward, and its dh0 is thrown away.
        start = h0
        g_xh, g_hh, g_b, _ = rnn_backward(x[s:s + k], start, W_xh, W_hh, b, dH[s:s + k])
        dW_xh += g_xh
        dW_hh += g_hh
        db += g_b
    return dW_xh, dW_hh, db
