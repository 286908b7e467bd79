"""Backpropagation through time for a plain RNN, by hand.

The grader calls rnn_backward on small random sequences and compares your four gradients with gradients
computed by finite differences of the forward pass (to about 5 significant digits).

As written, this runs and every gradient has the right shape, and it already does the part that any dense layer
needs: back through tanh, then into W_xh and b. What makes it backpropagation *through time* is missing: nothing
flows through the recurrent weights W_hh, neither into their gradient nor back to earlier steps and h0.
Submit it once to see which checks fail, then fix the TODOs.
"""

import numpy as np


def rnn_forward(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The forward pass from the first lesson: every hidden state, shape (T, hidden)."""
    h = h0
    states = []
    for x_t in x:
        h = np.tanh(x_t @ W_xh + h @ W_hh + b)
        states.append(h)
    return np.stack(states)


def rnn_backward(x: np.ndarray, h0: np.ndarray, W_xh: np.ndarray, W_hh: np.ndarray, b: np.ndarray,
                 dH: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the loss L = sum(dH * rnn_forward(x, h0, W_xh, W_hh, b)).

    Args:
        x, h0, W_xh, W_hh, b: as in rnn_forward: shapes (T, input_dim), (hidden,), (input_dim, hidden),
                              (hidden, hidden) and (hidden,).
        dH: shape (T, hidden): dH[t] = ∂L/∂H[t], the gradient that the loss sends into state H[t] directly
            (for example from an output layer at that step).

    Returns:
        (dW_xh, dW_hh, db, dh0): ∂L/∂W_xh, ∂L/∂W_hh, ∂L/∂b and ∂L/∂h0, shaped like W_xh, W_hh, b and h0.
    """
    H = rnn_forward(x, h0, W_xh, W_hh, b)
    dW_xh, dW_hh, db = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b)
    dh_prev = np.zeros_like(h0)  # what step t+1 sent back to the state it read (nothing, after the last step)
    for t in reversed(range(len(x))):
        h_prev = H[t - 1] if t > 0 else h0  # the state step t read
        # TODO 3 (after 1 and 2): this state influences the loss twice: directly (dH[t]) and through every later
        #         step. The second part is what step t+1 sent back in the previous iteration. Add it here.
        dh = dH[t]
        dz = dh * (1 - H[t] ** 2)  # back through tanh: tanh'(z) = 1 - tanh(z)² = 1 - H[t]²
        dW_xh += np.outer(x[t], dz)  # z_t contains x[t] @ W_xh
        db += dz  # z_t contains + b
        # TODO 1: z_t also contains h_prev @ W_hh. Add this step's share to dW_hh, as for W_xh above.
        # TODO 2: z_t depends on h_prev through W_hh. Compute the gradient this step sends back to h_prev and keep
        #         it in dh_prev for the next iteration (step t-1). After the loop, it is the gradient of h0.
    return dW_xh, dW_hh, db, dh_prev
