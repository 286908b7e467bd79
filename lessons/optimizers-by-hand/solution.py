"""Reference solution: Keras 3's RMSprop and Adam updates, its ExponentialDecay and CosineDecay schedules, the
Glorot-uniform limit and the Orthogonal initializer, in NumPy."""

import numpy as np


def rmsprop_step(param: np.ndarray, grad: np.ndarray, velocity: np.ndarray, learning_rate: float, rho: float,
                 epsilon: float) -> tuple[np.ndarray, np.ndarray]:
    """One update of keras.optimizers.RMSprop (momentum=0, centered=False): returns (new_param, new_velocity).

    The velocity is a running average of the squared gradient; epsilon goes INSIDE the square root."""
    new_velocity = rho * velocity + (1.0 - rho) * np.square(grad)
    new_param = param - learning_rate * grad / np.sqrt(new_velocity + epsilon)
    return new_param, new_velocity


def adam_step(param: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray, step: int, learning_rate: float,
              beta_1: float, beta_2: float, epsilon: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One update of keras.optimizers.Adam: returns (new_param, new_m, new_v).

    step counts the updates applied before this one (Keras's optimizer.iterations: 0 on the first), so the paper's
    t is step + 1. The bias correction is folded into the rate, and epsilon goes OUTSIDE the square root."""
    t = step + 1
    new_m = beta_1 * m + (1.0 - beta_1) * grad
    new_v = beta_2 * v + (1.0 - beta_2) * np.square(grad)
    alpha = learning_rate * np.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)
    new_param = param - alpha * new_m / (np.sqrt(new_v) + epsilon)
    return new_param, new_m, new_v


def exponential_decay(step: int, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                      staircase: bool) -> float:
    """keras.optimizers.schedules.ExponentialDecay: the rate is multiplied by decay_rate every decay_steps steps,
    smoothly, or in whole jumps when staircase is True."""
    p = step / decay_steps
    if staircase:
        p = np.floor(p)
    return float(initial_learning_rate * decay_rate**p)


def cosine_decay(step: int, initial_learning_rate: float, decay_steps: int, alpha: float) -> float:
    """keras.optimizers.schedules.CosineDecay (no warmup): half a cosine from initial_learning_rate down to
    alpha * initial_learning_rate over decay_steps steps, then constant."""
    fraction = min(step, decay_steps) / decay_steps
    cosine = 0.5 * (1.0 + np.cos(np.pi * fraction))
    return float(initial_learning_rate * ((1.0 - alpha) * cosine + alpha))


def glorot_uniform_limit(fan_in: int, fan_out: int) -> float:
    """keras.initializers.GlorotUniform draws from U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out))."""
    return float(np.sqrt(6.0 / (fan_in + fan_out)))


def orthogonal(shape: tuple[int, int], normal: np.ndarray, gain: float) -> np.ndarray:
    """keras.initializers.Orthogonal for a 2-D shape (rows, cols), given its normal draw of shape
    (max(rows, cols), min(rows, cols)): the Q of a QR decomposition with the signs made unique (R's diagonal
    positive), transposed when rows < cols, times gain."""
    rows, cols = shape
    q, r = np.linalg.qr(normal)
    q = q * np.sign(np.diag(r))  # column j times the sign of R[j, j]: the one Q whose R has a positive diagonal
    if rows < cols:
        q = q.T
    return gain * q
