"""Loops over full chunks only: right when k divides T, and the shorter last chunk is named when it does not.

expect: status=failed check=uneven message=the last, shorter chunk is missing
"""

import numpy as np


def backward(x, h0, W_xh, W_hh, b, dH):
    h, H = h0, []
    for x_t in x:
        h = np.tanh(x_t @ W_xh + h @ W_hh + b)
        H.append(h)
    grads = [np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b)]
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        dz = (dH[t] + dh_next) * (1 - H[t] ** 2)
        grads[0] += np.outer(x[t], dz)
        grads[1] += np.outer(H[t - 1] if t > 0 else h0, dz)
        grads[2] += dz
        dh_next = dz @ W_hh.T
    return grads, H[-1]


def truncated_backward(x, h0, W_xh, W_hh, b, dH, k):
    total = [np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b)]
    h = h0
    for c in range(len(x) // k):
        s = c * k
        grads, h = backward(x[s:s + k], h, W_xh, W_hh, b, dH[s:s + k])
        total = [a + g for a, g in zip(total, grads, strict=True)]
    return tuple(total)
