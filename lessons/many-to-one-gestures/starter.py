"""Recognise a wrist gesture from a 3-axis accelerometer recording: one label for the whole sequence.

Each sample has shape (30, 3): 30 time steps of (x, y, z) acceleration. Classes: 0 = circle clockwise,
1 = circle anticlockwise, 2 = shake, 3 = double tap. The grader trains your model for EPOCHS epochs
with BATCH_SIZE, then measures its accuracy on held-out recordings.
"""

import keras

EPOCHS = 10
BATCH_SIZE = 32


def build_model(timesteps: int, n_features: int, n_classes: int) -> keras.Model:
    """Return a *compiled* model mapping (timesteps, n_features) -> n_classes probabilities."""
    model = keras.Sequential(
        [
            keras.Input(shape=(timesteps, n_features)),
            # TODO 1: this layer averages over time, so the order of the steps is lost.
            #         Replace it with a recurrent layer that reads the steps in order (e.g. a GRU).
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(n_classes, activation="softmax"),
        ]
    )
    # TODO 2: compile with an optimizer, loss="sparse_categorical_crossentropy" and metrics=["accuracy"]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
