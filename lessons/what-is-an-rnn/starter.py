"""Write the forward pass of a plain RNN: one loop over time, one hidden state carried from step to step.

The grader calls rnn_forward on small random sequences and compares every hidden state with the
reference implementation (to about 5 significant digits).

As written, this function runs and returns an array of the right shape, but every step looks only at its
own input: it is a dense layer applied T times, with no memory. Submit it once to see which checks fail.
"""

import numpy as np


def rnn_forward(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Run a simple RNN over a sequence and return every hidden state.

    Args:
        x:    the input sequence, shape (T, input_dim): one row per time step.
        h0:   the initial hidden state, shape (hidden,).
        W_xh: input-to-hidden weights, shape (input_dim, hidden).
        W_hh: hidden-to-hidden (recurrent) weights, shape (hidden, hidden).
        b:    bias, shape (hidden,).

    Returns:
        H, shape (T, hidden), where H[t] = tanh(x[t] @ W_xh + h_prev @ W_hh + b)
        and h_prev is H[t - 1], or h0 for the first step.
    """
    h = h0  # the previous state: h0 before the first step
    states = []
    for t in range(x.shape[0]):
        # TODO 1: this step ignores h, so nothing seen earlier can influence it (and h0 is never used).
        #         Add the previous state's contribution, multiplied by the recurrent weights, inside the tanh.
        # TODO 2: make the new state the "previous state" of the next step, so that the memory is carried
        #         forward through the loop instead of every step starting from the same h.
        h_t = np.tanh(x[t] @ W_xh + b)
        states.append(h_t)
    return np.stack(states)  # (T, hidden): one row per step, already the shape the grader wants
