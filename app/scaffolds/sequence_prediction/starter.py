"""Build an LSTM that predicts the next value of a series from the WINDOW values before it.

The grader cuts the series into sliding windows of shape (samples, WINDOW, 1), trains your model
for EPOCHS epochs with BATCH_SIZE, then scores it on a later stretch of the series your code never sees,
against the naive forecast "tomorrow equals today".
"""

import keras

WINDOW = 24       # past steps the model sees (the grader accepts 4..96)
EPOCHS = 20
BATCH_SIZE = 32


def build_model(window: int, n_features: int) -> keras.Model:
    """Return a *compiled* Keras model mapping (window, n_features) -> the next value."""
    # TODO 1: start with keras.Input(shape=(window, n_features))
    # TODO 2: add an LSTM layer (try 32 units)
    # TODO 3: end with a Dense(1) layer: one number, no activation
    # TODO 4: compile with an optimizer and a regression loss, e.g. "adam" and "mse"
    raise NotImplementedError("build your model here")
