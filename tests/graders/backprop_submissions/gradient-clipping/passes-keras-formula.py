"""Keras's own formula (clip_norm * min(1/norm, 1/clip_norm)), returning tuples: the same answer.

expect: status=passed
"""

import numpy as np


def clip_by_global_norm(grads, clip_norm):
    norm = np.sqrt(sum(np.sum(np.square(g)) for g in grads))
    with np.errstate(divide="ignore"):
        scale = clip_norm * np.minimum(1.0 / norm, 1.0 / clip_norm)
    return tuple(g * scale for g in grads), norm
