"""Build an LSTM that predicts the next value of a series from the WINDOW values before it.

The grader cuts the series into sliding windows of shape (samples, WINDOW, 1), trains your model
for EPOCHS epochs with BATCH_SIZE, then scores it on a later stretch of the series your code never sees,
against simple models with no recurrence (the report lists them).
"""

import keras

WINDOW = 24       # past steps the model sees (the grader accepts 4..96)
EPOCHS = 2
BATCH_SIZE = 32


def build_model(window: int, n_features: int) -> keras.Model:
    """Return a *compiled* Keras model mapping (window, n_features) -> the next value."""
    # TODO: this model is a weighted sum of the window: it has no memory, and least squares does the same.
    # Replace Flatten with an LSTM layer (try 32 units), keep Dense(1) at the end, and train for more epochs.
    model = keras.Sequential([
        keras.Input(shape=(window, n_features)),
        keras.layers.Flatten(),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")
    return model
