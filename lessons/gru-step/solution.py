"""Reference solution: one step of keras.layers.GRU (Keras 3 defaults, reset_after=True) in NumPy."""

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function, written with tanh so that large |z| cannot overflow np.exp."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def gru_step(x: np.ndarray, h: np.ndarray, kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """One GRU step for a batch: returns h_new, shape (batch, units).

    x: (batch, features), h: (batch, units), kernel: (features, 3*units), recurrent_kernel: (units, 3*units),
    bias: (2, 3*units): row 0 is added to the input part, row 1 to the recurrent part.
    Blocks of units columns, in Keras's order z (update), r (reset), h (candidate).
    """
    x_z, x_r, x_h = np.split(x @ kernel + bias[0], 3, axis=-1)
    h_z, h_r, h_h = np.split(h @ recurrent_kernel + bias[1], 3, axis=-1)
    z = sigmoid(x_z + h_z)
    r = sigmoid(x_r + h_r)
    candidate = np.tanh(x_h + r * h_h)  # reset_after: r scales the recurrent part *after* its matrix product
    return z * h + (1.0 - z) * candidate
