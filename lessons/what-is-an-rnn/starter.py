"""Write the forward pass of a plain RNN: one loop over time, one hidden state carried from step to step.

The grader calls rnn_forward on small random sequences and compares every hidden state with the
reference implementation (to about 5 significant digits).
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
    h = h0
    states = []
    for t in range(x.shape[0]):
        # TODO 1: compute the new hidden state from x[t] and the previous state h
        #         (x[t] @ W_xh, plus h @ W_hh, plus b, squashed by np.tanh)
        # TODO 2: remember it, so that the next step uses it as its previous state
        raise NotImplementedError("compute the hidden state of step t")
    # TODO 3: return all the states stacked into one (T, hidden) array, e.g. np.stack(states)
    return np.array(states)
