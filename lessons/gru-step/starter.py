"""Write one step of keras.layers.GRU (Keras 3 defaults) in NumPy, on the layer's own weights.

The grader calls gru_step on hidden batches with random weights in Keras's layout and compares the new
state with a reference that reproduces Keras (to about 5 significant digits).

As written, this function runs and returns an array of the right shape, but it is the textbook GRU: the
reset gate scales h *before* the recurrent matrix product. Keras 3's default, reset_after=True, applies it
after. Submit it once to see what the grader says, then fix the TODO.
"""

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-z)), written with tanh so that it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def gru_step(x: np.ndarray, h: np.ndarray, kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """One GRU step for a batch of sequences.

    Args:
        x:                the inputs of this step, shape (batch, features).
        h:                the previous state, shape (batch, units).
        kernel:           input weights, shape (features, 3 * units).
        recurrent_kernel: recurrent weights, shape (units, 3 * units).
        bias:             shape (2, 3 * units): bias[0] is added to the input part, bias[1] to the recurrent part.
        Each weight holds three blocks of `units` columns, in Keras's order z (update), r (reset), h (candidate).

    Returns:
        h_new, shape (batch, units): z * h + (1 - z) * candidate.
    """
    units = h.shape[1]
    x_z, x_r, x_h = np.split(x @ kernel + bias[0], 3, axis=-1)  # the input part, block by block
    h_z, h_r, _ = np.split(h @ recurrent_kernel + bias[1], 3, axis=-1)  # the recurrent part, block by block
    z = sigmoid(x_z + h_z)
    r = sigmoid(x_r + h_r)
    # TODO: this is the reset gate of the original paper (Keras's reset_after=False): r scales h before the
    #       product with the candidate's recurrent weights. Keras 3 multiplies r with the recurrent part *after*
    #       the product, recurrent bias included. The block you need is already computed on the line above.
    recurrent_part = (r * h) @ recurrent_kernel[:, 2 * units :] + bias[1][2 * units :]
    candidate = np.tanh(x_h + recurrent_part)
    return z * h + (1.0 - z) * candidate
