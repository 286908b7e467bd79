"""Tag every step of a signal as flat (0), rising (1) or falling (2) compared with 3 steps earlier.

The grader calls build_model(timesteps, n_features, n_tags), trains the model on (N, 24, 1) signals with
(N, 24) integer tags, and scores the share of held-out steps tagged right.
"""

import keras

EPOCHS = 15
BATCH_SIZE = 32


def build_model(timesteps: int, n_features: int, n_tags: int) -> keras.Model:
    """Return a compiled model mapping (timesteps, n_features) -> (timesteps, n_tags) probabilities.

    Output shape (None, timesteps, n_tags): a softmax over the tags at every step.
    Loss: "sparse_categorical_crossentropy" (the tags are integers, one per step).
    """
    model = keras.Sequential(
        [
            keras.Input(shape=(timesteps, n_features)),
            # TODO: this GRU returns only its final state: one answer per sequence (many-to-one).
            #       This task needs one answer per step (many-to-many).
            keras.layers.GRU(24),
            keras.layers.Dense(n_tags, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model
