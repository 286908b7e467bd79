"""Clips every entry (Keras's clipvalue): the report says that changes the update's direction.

expect: status=failed check=scales_together message=as Keras's clipvalue does
"""

import numpy as np


def clip_by_global_norm(grads, clip_norm):
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    return [np.clip(g, -clip_norm, clip_norm) for g in grads], norm
