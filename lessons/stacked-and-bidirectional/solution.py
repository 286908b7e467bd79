"""Reference solution: a bidirectional GRU that passes its sequence to a second GRU, then a softmax."""

import keras

EPOCHS = 6
BATCH_SIZE = 32


def build_model(timesteps: int, n_features: int, n_classes: int) -> keras.Model:
    """Return a compiled model mapping (timesteps, n_features) -> n_classes probabilities."""
    model = keras.Sequential(
        [
            keras.Input(shape=(timesteps, n_features)),
            keras.layers.Bidirectional(keras.layers.GRU(16, return_sequences=True)),
            keras.layers.GRU(16),
            keras.layers.Dense(n_classes, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.005),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model
