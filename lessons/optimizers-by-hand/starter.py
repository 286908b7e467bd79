"""Optimizers, schedules and initialisers by hand: reproduce Keras 3's numbers in NumPy.

The grader calls each function on hidden cases and compares what you return with a reference that matches
keras.optimizers.RMSprop and Adam, keras.optimizers.schedules.ExponentialDecay and CosineDecay, and
keras.initializers.GlorotUniform and Orthogonal (to about 6 significant digits).

As written, everything runs and returns the right shapes, but: rmsprop_step is plain gradient descent, adam_step
has no bias correction, exponential_decay ignores staircase, cosine_decay and glorot_uniform_limit return
constants, and orthogonal does not orthogonalise. Submit it once to see what the grader says, then fix the TODOs.
"""

import numpy as np


def rmsprop_step(param: np.ndarray, grad: np.ndarray, velocity: np.ndarray, learning_rate: float, rho: float,
                 epsilon: float) -> tuple[np.ndarray, np.ndarray]:
    """One update of keras.optimizers.RMSprop (momentum=0, centered=False, Keras's defaults).

    Args:
        param, grad, velocity: arrays of one shape: a weight, its gradient, and RMSprop's running average of the
                               squared gradient before this step (zeros before the first step).
        learning_rate, rho, epsilon: numbers (Keras's defaults are 0.001, 0.9 and 1e-7).

    Returns:
        (new_param, new_velocity), each of param's shape.
    """
    # TODO: this is plain gradient descent. Update the velocity (a running average of grad², weight rho on the
    #       old one), then divide the step by the root of the new velocity, with epsilon where Keras puts it.
    return param - learning_rate * grad, velocity


def adam_step(param: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray, step: int, learning_rate: float,
              beta_1: float, beta_2: float, epsilon: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One update of keras.optimizers.Adam (amsgrad=False).

    Args:
        param, grad, m, v: arrays of one shape: a weight, its gradient, and Adam's first and second moments before
                           this step (zeros before the first step).
        step: how many updates were applied BEFORE this one (Keras's optimizer.iterations): 0 on the first update.
        learning_rate, beta_1, beta_2, epsilon: numbers (Keras's defaults are 0.001, 0.9, 0.999 and 1e-7).

    Returns:
        (new_param, new_m, new_v), each of param's shape.
    """
    new_m = beta_1 * m + (1.0 - beta_1) * grad
    new_v = beta_2 * v + (1.0 - beta_2) * np.square(grad)
    # TODO: m and v start at zero, so the first steps need Keras's bias correction, folded into the rate.
    alpha = learning_rate
    new_param = param - alpha * new_m / (np.sqrt(new_v) + epsilon)
    return new_param, new_m, new_v


def exponential_decay(step: int, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                      staircase: bool) -> float:
    """The learning rate of keras.optimizers.schedules.ExponentialDecay at `step` (0 on the first update)."""
    p = step / decay_steps
    # TODO: with staircase=True, the rate must drop only once every whole decay_steps.
    return float(initial_learning_rate * decay_rate**p)


def cosine_decay(step: int, initial_learning_rate: float, decay_steps: int, alpha: float) -> float:
    """The learning rate of keras.optimizers.schedules.CosineDecay (no warmup) at `step`: half a cosine from
    initial_learning_rate down to alpha * initial_learning_rate over decay_steps steps, then constant."""
    # TODO: a constant rate is no schedule.
    return float(initial_learning_rate)


def glorot_uniform_limit(fan_in: int, fan_out: int) -> float:
    """The limit of keras.initializers.GlorotUniform, which draws from U(-limit, limit) for a kernel of shape
    (fan_in, fan_out)."""
    # TODO: 0.05 was the fixed limit of old Keras's RandomUniform; Glorot's limit depends on both fans.
    return 0.05


def orthogonal(shape: tuple[int, int], normal: np.ndarray, gain: float) -> np.ndarray:
    """keras.initializers.Orthogonal for a 2-D shape (rows, cols).

    Args:
        shape:  (rows, cols) of the weight to initialise.
        normal: the standard normal draw Keras starts from, of shape (max(rows, cols), min(rows, cols)).
        gain:   the factor applied at the end.

    Returns:
        an array of shape (rows, cols): orthonormal columns (rows if rows < cols), times gain.
    """
    rows, cols = shape
    # TODO: this returns the random draw itself, which is not orthogonal. Orthogonalise it as Keras does.
    q = normal
    if rows < cols:
        q = q.T
    return gain * q
