"""Gradient clipping by global norm: the remedy for exploding gradients that keeps the update's direction.

The grader calls clip_by_global_norm on lists of gradient arrays (one per weight of a small model, some of them
exploding, some zero) and compares your clipped arrays and norm with a reference implementation.

As written, this runs and computes the global norm correctly, but it clips each array by its own norm (what
Keras's `clipnorm` does), so after an explosion in one weight the update points in a different direction.
Submit it once to see which checks fail, then fix the TODO.
"""

import numpy as np


def clip_by_global_norm(grads: list[np.ndarray], clip_norm: float) -> tuple[list[np.ndarray], float]:
    """Scale all gradients together so that their global norm is at most clip_norm.

    Args:
        grads:     a list of gradient arrays of any shapes (one per weight tensor of a model).
        clip_norm: the largest global norm allowed, a positive number.

    Returns:
        (clipped, global_norm): a list with one array per gradient, same order and shapes, and the global norm
        sqrt(sum of the squares of every entry of every array) measured BEFORE clipping.
        If global_norm <= clip_norm, the gradients come back unchanged.
    """
    global_norm = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))
    clipped = []
    for g in grads:
        # TODO: this factor uses the array's own norm, so a huge gradient in one weight is shrunk while the
        #       others are left alone: the update's direction changes. Use one factor for every array, from the
        #       global norm, that is 1 when the global norm is within clip_norm (and never divides by zero).
        own_norm = float(np.linalg.norm(g))
        scale = clip_norm / max(own_norm, clip_norm)
        clipped.append(g * scale)
    return clipped, global_norm
