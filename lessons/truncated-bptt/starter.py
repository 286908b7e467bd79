"""Truncated backpropagation through time: chunks of k steps, the state carried forward, the gradient cut.

The grader calls truncated_backward on small random sequences and compares your three gradients with gradients
computed by finite differences of the chunked forward pass (to about 5 significant digits).

chunk_gradients below is BPTT within one chunk (computed by finite differences, so it gives nothing of the previous
lesson away): a building block you call once per chunk.

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


def chunk_gradients(x: np.ndarray, start: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b: np.ndarray,
                    dH: np.ndarray, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BPTT within one chunk, by central finite differences: the gradients of sum(dH * rnn_forward(x, start, ...))
    for W_xh, W_hh and b, with `start` held fixed. Slow, but sure; your rnn_backward from the previous lesson
    (bptt-by-hand) gives the same numbers (its first three results) and may replace it."""
    params = [np.array(p, dtype="float64") for p in (W_xh, W_hh, b)]  # copies: nudged in place below
    grads = [np.zeros_like(p) for p in params]
    for param, grad in zip(params, grads, strict=True):
        for i in np.ndindex(param.shape):
            kept = param[i]
            param[i] = kept + eps
            plus = np.sum(dH * rnn_forward(x, start, *params))
            param[i] = kept - eps
            minus = np.sum(dH * rnn_forward(x, start, *params))
            param[i] = kept
            grad[i] = (plus - minus) / (2 * eps)
    return grads[0], grads[1], grads[2]


def truncated_backward(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b: np.ndarray,
                       dH: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The summed gradients of truncated BPTT with chunks of k steps.

    Args:
        x, h0, W_xh, W_hh, b, dH: as in the previous lesson's rnn_backward; x and dH have T rows.
        k: the chunk length, at least 1. Chunks start at steps 0, k, 2k, …; the last one may be shorter.

    Returns:
        (dW_xh, dW_hh, db): the sum over chunks of each chunk's own BPTT gradients, where each chunk runs from the
        state the previous chunk ended in (h0 for the first) and no gradient flows from a chunk into the one before.
    """
    dW_xh, dW_hh, db = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b)
    for s in range(0, len(x), k):
        # TODO: the forward pass must not forget at a chunk boundary. Start this chunk from the state the previous
        #       chunk ended in (h0 only for the first chunk). Only the gradient is cut there, and it already is:
        #       each chunk gets its own call to chunk_gradients, which holds its starting state fixed.
        start = h0
        g_xh, g_hh, g_b = chunk_gradients(x[s:s + k], start, W_xh, W_hh, b, dH[s:s + k])
        dW_xh += g_xh
        dW_hh += g_hh
        db += g_b
    return dW_xh, dW_hh, db
