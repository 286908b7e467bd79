"""Rescales to clip_norm whatever the norm: small gradients are blown up, zero gradients become NaN.

expect: status=failed check=below_threshold message=even when their norm was already below it
"""

import numpy as np


def clip_by_global_norm(grads, clip_norm):
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    with np.errstate(divide="ignore", invalid="ignore"):
        return [g * clip_norm / norm for g in grads], float(norm)
