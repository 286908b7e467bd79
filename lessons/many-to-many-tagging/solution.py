"""Reference solution: a GRU returns its state at every step (return_sequences=True); a softmax tags each one."""

import keras

EPOCHS = 15
BATCH_SIZE = 32


def build_model(timesteps: int, n_features: int, n_tags: int) -> keras.Model:
    """Return a compiled model mapping (timesteps, n_features) -> (timesteps, n_tags) probabilities."""
    model = keras.Sequential(
        [
            keras.Input(shape=(timesteps, n_features)),
            keras.layers.GRU(24, return_sequences=True),  # one state per step, not just the last
            keras.layers.TimeDistributed(keras.layers.Dense(n_tags, activation="softmax")),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model
