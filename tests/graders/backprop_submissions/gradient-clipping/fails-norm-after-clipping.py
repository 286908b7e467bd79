"""Returns the norm after clipping: the arrays are right, the logged norm hides the explosion.

expect: status=failed check=clipped_norm message=the norm returned is the one after clipping
"""

import numpy as np


def clip_by_global_norm(grads, clip_norm):
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    clipped = [g * (clip_norm / max(norm, clip_norm)) for g in grads]
    return clipped, float(np.sqrt(sum(np.sum(g ** 2) for g in clipped)))
