"""Reference solution: one GRU reads the whole recording; its last state feeds a softmax (many-to-one)."""

import keras

EPOCHS = 10
BATCH_SIZE = 32


def build_model(timesteps: int, n_features: int, n_classes: int) -> keras.Model:
    """Return a compiled model mapping (timesteps, n_features) -> n_classes probabilities."""
    model = keras.Sequential(
        [
            keras.Input(shape=(timesteps, n_features)),
            keras.layers.GRU(24),  # return_sequences=False: only the state after the last step
            keras.layers.Dense(n_classes, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model
