"""Forecast the next value of a heartbeat-like signal with a GRU, within a budget of 1,000 parameters.

The grader cuts the series into sliding windows of shape (samples, WINDOW, 1), trains your model for
EPOCHS epochs with BATCH_SIZE, counts its parameters, then scores it on a later stretch of the series
that your code never sees, against the naive forecast "the next value equals the last one".
"""

import keras

WINDOW = 8        # past steps the model sees (the grader accepts 4..64); how long is one beat?
EPOCHS = 20
BATCH_SIZE = 32


def build_model(window: int, n_features: int) -> keras.Model:
    """Return a *compiled* Keras model mapping (window, n_features) -> the next value.

    Budget: model.count_params() must be at most 1,000.
    A GRU layer has 3 * (units * (units + n_features) + 2 * units) parameters; Dense(1) adds units + 1.
    """
    # TODO 1: start with keras.Input(shape=(window, n_features))
    # TODO 2: add a keras.layers.GRU layer: pick the number of units so the whole model fits the budget
    # TODO 3: end with keras.layers.Dense(1)
    # TODO 4: compile with an optimizer and a regression loss, then return the model
    raise NotImplementedError("build your GRU model here")
