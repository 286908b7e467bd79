"""Classify noisy two-pulse sequences by the signs of their pulses, in order.

Each sample has shape (40, 1). Classes: 0 = up then down, 1 = down then up, 2 = up then up,
3 = down then down. The grader trains your model for EPOCHS epochs with BATCH_SIZE on the public samples,
then measures its accuracy on held-out samples. Your model must contain a Bidirectional layer.
"""

import keras

EPOCHS = 10
BATCH_SIZE = 32


def build_model(timesteps: int, n_features: int, n_classes: int) -> keras.Model:
    """Return a *compiled* model mapping (timesteps, n_features) -> n_classes probabilities."""
    # TODO 1: start with keras.Input(shape=(timesteps, n_features))
    # TODO 2: a Bidirectional recurrent layer; if another recurrent layer follows, it needs
    #         return_sequences=True
    # TODO 3: optionally stack a second recurrent layer
    # TODO 4: end with keras.layers.Dense(n_classes, activation="softmax")
    # TODO 5: compile with loss="sparse_categorical_crossentropy" (integer labels) and metrics=["accuracy"]
    raise NotImplementedError("build your classifier here")
