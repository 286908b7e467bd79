"""Reference solution: one LSTM layer over a day of history, then a linear read-out."""

import keras

WINDOW = 24  # one full daily cycle of this hourly series
EPOCHS = 20
BATCH_SIZE = 32


def build_model(window: int, n_features: int) -> keras.Model:
    """Return a compiled Keras model mapping (window, n_features) -> the next value."""
    model = keras.Sequential(
        [
            keras.Input(shape=(window, n_features)),
            keras.layers.LSTM(32),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005), loss="mse")
    return model
