"""Reference solution: the forward pass of a plain (Elman) RNN in NumPy."""

import numpy as np


def rnn_forward(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Run a simple RNN over a sequence and return every hidden state.

    x: (T, input_dim), h0: (hidden,), W_xh: (input_dim, hidden), W_hh: (hidden, hidden), b: (hidden,).
    Returns H with shape (T, hidden), where H[t] = tanh(x[t] @ W_xh + H[t-1] @ W_hh + b) and H[-1] is h0.
    """
    h = h0
    states = []
    for x_t in x:
        h = np.tanh(x_t @ W_xh + h @ W_hh + b)
        states.append(h)
    return np.stack(states) if states else np.zeros((0, h0.shape[0]))
