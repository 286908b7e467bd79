"""Hidden cases for clip_by_global_norm. NumPy only: this file runs inside the sandbox.

Each case also carries what typical wrong clippings return ("mistakes"), so the report can name the mistake.
"""

from __future__ import annotations

from typing import Any

import numpy as np

SHAPES = [(3, 4), (4, 4), (4,), (4, 2), (2,)]  # a small RNN and its dense head: W_xh, W_hh, b, W_hy, b_y


def _clip(grads: list[np.ndarray], clip_norm: float, bug: str = "") -> tuple[list[np.ndarray], float]:
    """Global-norm clipping, right when bug is "", else with one typical mistake planted."""
    norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    if bug == "per_array":
        return [g * (clip_norm / max(float(np.linalg.norm(g)), clip_norm)) for g in grads], norm
    if bug == "clip_value":
        return [np.clip(g, -clip_norm, clip_norm) for g in grads], norm
    if bug == "sum_of_norms":
        norm = float(sum(np.linalg.norm(g) for g in grads))
    elif bug == "no_sqrt":
        norm = float(sum(np.sum(g * g) for g in grads))
    elif bug == "spectral":
        norm = float(np.sqrt(sum(np.linalg.norm(g, 2) ** 2 for g in grads)))
    if bug == "always_scale":
        with np.errstate(divide="ignore", invalid="ignore"):
            return [g * np.divide(clip_norm, norm) for g in grads], norm
    clipped = [g * (clip_norm / max(norm, clip_norm)) for g in grads]
    if bug == "norm_after":
        return clipped, min(norm, clip_norm)
    return clipped, norm


MISTAKES = {
    "per_array": "each array was clipped by its own norm, as Keras's clipnorm does. Global-norm clipping measures "
                 "all arrays together and scales every one of them by the same factor, clip_norm / global_norm, so "
                 "the direction of the whole update is kept.",
    "clip_value": "each entry was clipped to [-clip_norm, clip_norm], as Keras's clipvalue does. That changes the "
                  "update's direction; global-norm clipping multiplies every array by one factor instead.",
    "sum_of_norms": "the global norm was the sum of the arrays' norms. It is the norm of all entries together: "
                    "sqrt(sum of each array's squared norm), sqrt(Σ ||g||²), not Σ ||g||.",
    "no_sqrt": "the square root is missing: that is the squared global norm. global_norm = sqrt(Σ sum(g**2)).",
    "spectral": "np.linalg.norm(g, 2) on a matrix is its largest singular value, not the root of its summed "
                "squares. Use np.linalg.norm(g) (no ord) or np.sqrt(np.sum(g**2)).",
    "always_scale": "the gradients were rescaled to clip_norm even when their norm was already below it. Clipping "
                    "only shrinks: the factor is clip_norm / max(global_norm, clip_norm), which is 1 below the limit.",
    "norm_after": "the norm returned is the one after clipping. Return the global norm measured before clipping, as "
                  "tf.clip_by_global_norm does: it is what you would log to see an explosion.",
}


def _differs(a: tuple[list[np.ndarray], float], b: tuple[list[np.ndarray], float]) -> bool:
    if not np.isclose(a[1], b[1], rtol=1e-4, atol=1e-12):
        return True
    return any(g.shape != h.shape or not np.allclose(g, h, rtol=1e-4, atol=1e-12) for g, h in zip(a[0], b[0], strict=True))


def _case(check: str, title: str, hint: str, grads: list[np.ndarray], clip_norm: float, bugs: list[str]) -> dict:
    right = _clip(grads, clip_norm)
    mistakes: list[dict[str, Any]] = []
    for bug in bugs:
        wrong = _clip(grads, clip_norm, bug)
        if not all(np.all(np.isfinite(g)) for g in wrong[0]):
            continue  # NaN never compares equal, so a NaN answer cannot be recognised this way
        # On some cases a mistake changes nothing (then it is not one there), or gives the same answer as one
        # listed before it (then the first hint is the one to show).
        if _differs(wrong, right) and all(_differs(wrong, m["value"]) for m in mistakes):
            mistakes.append({"value": wrong, "hint": MISTAKES[bug]})
    return {"check": check, "title": title, "function": "clip_by_global_norm", "args": [grads, clip_norm],
            "hint": hint, "mistakes": mistakes}


def _grads(rng: np.random.Generator, scale: float, shapes: list[tuple[int, ...]] = SHAPES) -> list[np.ndarray]:
    return [rng.normal(0.0, scale, shape) for shape in shapes]


def _norm(grads: list[np.ndarray]) -> float:
    return float(np.sqrt(sum(np.sum(g * g) for g in grads)))


def make_cases(rng: np.random.Generator) -> list[dict]:
    cases = []
    every = list(MISTAKES)

    title = "Returns (clipped, global_norm): one array per gradient, each of the same shape"
    hint = (
        "Return a tuple of two things: a list with one clipped array per gradient, in the same order and with the "
        "same shapes, and the global norm as one number."
    )
    for shapes in ([(3, 4), (4,)], [(2, 2, 3), (5,), (1, 1)]):
        case = _case("shapes", title, hint, _grads(rng, 1.0, shapes), 1.0, [])
        case["compare"] = "shape"
        cases.append(case)

    title = "The global norm is √(sum of every squared entry of every array)"
    hint = (
        "Square every entry of every array, add them all up, take one square root: "
        "np.sqrt(sum(np.sum(g**2) for g in grads)). Do not add the arrays' norms, and do not use np.linalg.norm(g, 2) "
        "on a matrix (that is its largest singular value)."
    )
    for scale in (0.1, 0.3):
        grads = _grads(rng, scale)
        cases.append(_case("global_norm", title, hint, grads, 2.0 * _norm(grads), every))  # below the limit

    title = "Below clip_norm, nothing changes"
    hint = (
        "Clipping only ever shrinks. The factor is clip_norm / max(global_norm, clip_norm): exactly 1 when the norm "
        "is at or below the limit, so the gradients come back unchanged."
    )
    grads = _grads(rng, 0.2)
    cases.append(_case("below_threshold", title, hint, grads, 1.5 * _norm(grads), every))
    cases.append(_case("below_threshold", title, hint, [np.array([[3.0, 4.0]])], 5.0, every))  # exactly at the limit

    title = "Above clip_norm, every array is scaled by the same factor"
    hint = (
        "Compute one factor for all arrays, clip_norm / global_norm, and multiply each array by it. Clipping each "
        "array by its own norm, or each entry by value, changes the direction of the update."
    )
    for scale, clip_norm in ((1.0, 1.0), (3.0, 5.0)):
        cases.append(_case("scales_together", title, hint, _grads(rng, scale), clip_norm, every))
    huge = _grads(rng, 0.5)
    huge[1] = rng.normal(0.0, 1e4, huge[1].shape)  # one exploding gradient (W_hh) dominates the norm
    cases.append(_case("scales_together", title, hint, huge, 1.0, every))

    title = "After clipping, the global norm is clip_norm; the norm returned is the one before"
    hint = (
        "Return the global norm of the gradients you were given, before clipping (tf.clip_by_global_norm does the "
        "same: it is the number to log). The clipped arrays together then have a global norm of exactly clip_norm."
    )
    for scale, clip_norm in ((2.0, 1.0), (0.5, 0.25)):
        cases.append(_case("clipped_norm", title, hint, _grads(rng, scale), clip_norm, every))

    title = "All-zero gradients come back as zeros (no division by zero)"
    hint = (
        "When every gradient is zero the global norm is 0, and clip_norm / global_norm divides by zero (NaN). With "
        "clip_norm / max(global_norm, clip_norm) the factor is 1 and the zeros stay zeros."
    )
    cases.append(_case("zero", title, hint, [np.zeros(shape) for shape in SHAPES], 1.0, every))
    cases.append(_case("zero", title, hint, [np.zeros((2, 3)), np.zeros(3)], 0.5, every))
    return cases
