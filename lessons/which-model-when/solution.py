"""Reference solution: a dilated 1-D CNN. Each layer doubles the gap between the steps it combines, so the last
layer's window is 31 steps wide: it holds the wiggle and the press together, and sees which came first."""

import keras

EPOCHS = 10
BATCH_SIZE = 32


def build_model(timesteps: int, n_features: int, n_classes: int) -> keras.Model:
    """Return a compiled model mapping (timesteps, n_features) -> n_classes probabilities."""
    model = keras.Sequential(
        [
            keras.Input(shape=(timesteps, n_features)),
            keras.layers.Conv1D(16, 3, activation="relu"),
            keras.layers.Conv1D(16, 3, dilation_rate=2, activation="relu"),
            keras.layers.Conv1D(16, 3, dilation_rate=4, activation="relu"),
            keras.layers.Conv1D(16, 3, dilation_rate=8, activation="relu"),  # 31 steps wide
            keras.layers.GlobalMaxPooling1D(),  # the strongest response anywhere in the trace
            keras.layers.Dense(n_classes, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model
