"""Assigns the weight gradients instead of adding them: one step passes, sums over time fail and are named.

expect: status=failed check=summed message=instead of added
"""

import numpy as np


def rnn_backward(x, h0, W_xh, W_hh, b, dH):
    h, H = h0, []
    for x_t in x:
        h = np.tanh(x_t @ W_xh + h @ W_hh + b)
        H.append(h)
    dW_xh, dW_hh, db = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        dz = (dH[t] + dh_next) * (1 - H[t] ** 2)
        dW_xh = np.outer(x[t], dz)
        dW_hh = np.outer(H[t - 1] if t > 0 else h0, dz)
        db = dz
        dh_next = dz @ W_hh.T
    return dW_xh, dW_hh, db, dh_next
