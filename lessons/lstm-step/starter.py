"""Write one step of keras.layers.LSTM in NumPy, on the layer's own weights.

The grader calls lstm_step on hidden batches with random weights in Keras's layout and compares both
returned states with a reference that reproduces Keras (to about 5 significant digits).

As written, this function runs and returns two arrays of the right shapes, but it reads the four gate
blocks in the order i, f, o, c, the order the equations are often written in. Keras stores them as
i, f, c, o. Submit it once to see what the grader says, then fix the TODO.
"""

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-z)), written with tanh so that it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def lstm_step(
    x: np.ndarray, h: np.ndarray, c: np.ndarray, kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step for a batch of sequences.

    Args:
        x:                the inputs of this step, shape (batch, features).
        h:                the previous hidden state, shape (batch, units).
        c:                the previous cell state, shape (batch, units).
        kernel:           input weights, shape (features, 4 * units).
        recurrent_kernel: recurrent weights, shape (units, 4 * units).
        bias:             shape (4 * units,).
        Each weight holds four blocks of `units` columns, one per gate, in Keras's order.

    Returns:
        (h_new, c_new), each of shape (batch, units):
        c_new = f * c + i * g and h_new = o * tanh(c_new), with the gates i, f, o = sigmoid(...)
        and the candidate g = tanh(...).
    """
    z = x @ kernel + h @ recurrent_kernel + bias  # (batch, 4 * units): every gate's pre-activation at once
    # TODO: this reads the blocks as i, f, o, c. Which block is which in Keras's layout?
    z_i, z_f, z_o, z_c = np.split(z, 4, axis=-1)
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)
    g = np.tanh(z_c)
    c_new = f * c + i * g
    h_new = o * np.tanh(c_new)
    return h_new, c_new
