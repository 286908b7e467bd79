"""Reference solution: clip a list of gradients by their global norm, like tf.clip_by_global_norm and Keras's
global_clipnorm."""

import numpy as np


def clip_by_global_norm(grads: list[np.ndarray], clip_norm: float) -> tuple[list[np.ndarray], float]:
    """Scale every gradient by the same factor so that their global norm is at most clip_norm.

    global_norm = sqrt(sum of the squares of every entry of every array); each array is multiplied by
    clip_norm / max(global_norm, clip_norm). Returns (clipped, global_norm), the norm measured before clipping.
    """
    arrays = [np.asarray(g, dtype="float64") for g in grads]
    global_norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in arrays)))
    scale = clip_norm / max(global_norm, clip_norm)  # 1.0 when the norm is within the limit (or zero)
    return [g * scale for g in arrays], global_norm
