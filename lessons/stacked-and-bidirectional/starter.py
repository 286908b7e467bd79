"""Classify noisy two-pulse sequences by the signs of their pulses, in order.

Each sample has shape (40, 1). Classes: 0 = up then down, 1 = down then up, 2 = up then up,
3 = down then down. The grader trains your model for EPOCHS epochs with BATCH_SIZE on the public samples,
then measures its accuracy on held-out samples. Your model must contain a Bidirectional layer.

As written, the model reads the sequence in one direction with a single recurrent layer. It trains,
but it breaks the lesson's layer rule; submit it once and read the report.
"""

import keras

EPOCHS = 6
BATCH_SIZE = 32


def build_model(timesteps: int, n_features: int, n_classes: int) -> keras.Model:
    """Return a *compiled* model mapping (timesteps, n_features) -> n_classes probabilities."""
    model = keras.Sequential(
        [
            keras.Input(shape=(timesteps, n_features)),
            # TODO 1: this layer only reads forward, so its state at each step knows nothing of what follows.
            #         The sequences are complete before we classify them: read them in both directions.
            # TODO 2: to stack a second recurrent layer on top, the lower one must pass on every step,
            #         not only its last state (which argument does that?).
            keras.layers.GRU(16),
            # TODO 3: keep a softmax head: one probability per class.
            keras.layers.Dense(n_classes, activation="softmax"),
        ]
    )
    # The labels are integers 0..3, hence the sparse loss.
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
