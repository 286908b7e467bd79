"""Starts every chunk from zeros, as a stateless Keras layer would: the carried state is named as the problem.

expect: status=failed check=carries_state message=started from a zero state, as a stateless layer does
"""

import numpy as np


def truncated_backward(x, h0, W_xh, W_hh, b, dH, k):
    total = [np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b)]
    for s in range(0, len(x), k):
        xs, dHs = x[s:s + k], dH[s:s + k]
        start = h0 if s == 0 else np.zeros_like(h0)
        h, H = start, []
        for x_t in xs:
            h = np.tanh(x_t @ W_xh + h @ W_hh + b)
            H.append(h)
        dh_next = np.zeros_like(h0)
        for t in reversed(range(len(xs))):
            dz = (dHs[t] + dh_next) * (1 - H[t] ** 2)
            total[0] += np.outer(xs[t], dz)
            total[1] += np.outer(H[t - 1] if t > 0 else start, dz)
            total[2] += dz
            dh_next = dz @ W_hh.T
    return tuple(total)
