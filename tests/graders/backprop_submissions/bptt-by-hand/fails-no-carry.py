"""Sends the gradient back but never adds it to the step before: one step passes, longer sequences are named.

expect: status=failed check=through_time message=each step used only its own dH[t]
"""

import numpy as np


def rnn_backward(x, h0, W_xh, W_hh, b, dH):
    h, H = h0, []
    for x_t in x:
        h = np.tanh(x_t @ W_xh + h @ W_hh + b)
        H.append(h)
    dW_xh, dW_hh, db = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b)
    dh_prev = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        dz = dH[t] * (1 - H[t] ** 2)
        dW_xh += np.outer(x[t], dz)
        dW_hh += np.outer(H[t - 1] if t > 0 else h0, dz)
        db += dz
        dh_prev = dz @ W_hh.T
    return dW_xh, dW_hh, db, dh_prev
