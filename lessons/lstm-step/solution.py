"""Reference solution: one step of keras.layers.LSTM in NumPy, on Keras's own weights (gate blocks i, f, c, o)."""

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function, written with tanh so that large |z| cannot overflow np.exp."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def lstm_step(
    x: np.ndarray, h: np.ndarray, c: np.ndarray, kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step for a batch: returns (h_new, c_new), each of shape (batch, units).

    x: (batch, features), h and c: (batch, units), kernel: (features, 4*units),
    recurrent_kernel: (units, 4*units), bias: (4*units,). Blocks of units columns, in Keras's order i, f, c, o.
    """
    z = x @ kernel + h @ recurrent_kernel + bias  # (batch, 4*units): all four pre-activations at once
    z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)
    g = np.tanh(z_c)  # the candidate values
    c_new = f * c + i * g
    h_new = o * np.tanh(c_new)
    return h_new, c_new
