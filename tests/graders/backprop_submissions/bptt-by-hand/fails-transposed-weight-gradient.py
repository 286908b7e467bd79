"""np.outer(dz, x[t]) instead of np.outer(x[t], dz): the shapes check says which gradient has the wrong shape.

expect: status=failed check=shapes message=item 0: returned shape
"""

import numpy as np


def rnn_backward(x, h0, W_xh, W_hh, b, dH):
    h, H = h0, []
    for x_t in x:
        h = np.tanh(x_t @ W_xh + h @ W_hh + b)
        H.append(h)
    dW_xh, dW_hh, db = np.zeros_like(W_xh).T, np.zeros_like(W_hh), np.zeros_like(b)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        dz = (dH[t] + dh_next) * (1 - H[t] ** 2)
        dW_xh = dW_xh + np.outer(dz, x[t])
        dW_hh += np.outer(H[t - 1] if t > 0 else h0, dz)
        db += dz
        dh_next = dz @ W_hh.T
    return dW_xh, dW_hh, db, dh_next
