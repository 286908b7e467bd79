"""Which model when: the same traces for a linear model, a 1-D CNN, a Transformer block and an RNN.

Each sample has shape (40, 2): 40 steps of (sensor reading, button channel). The button channel is 0 except for one
jolt of +1 or -1 where the button was pressed. The label (4 classes) says whether the trace's one short wiggle goes
up-then-down (0, 1) or down-then-up (2, 3), and whether it comes before (0, 2) or after (1, 3) the press.
The grader trains your model for EPOCHS epochs with BATCH_SIZE, then measures its accuracy on held-out traces.

Submit each family in turn (the lesson's hints hold all four) and compare them on the lesson page.
"""

import keras

EPOCHS = 10
BATCH_SIZE = 32


def build_model(timesteps: int, n_features: int, n_classes: int) -> keras.Model:
    """Return a *compiled* model mapping (timesteps, n_features) -> n_classes probabilities."""
    model = keras.Sequential(
        [
            keras.Input(shape=(timesteps, n_features)),
            # The linear model: one weighted sum of all 80 numbers per class. It cannot find a shape that may sit
            # anywhere, nor compare two positions. TODO: replace these two layers with a GRU, a CNN or a
            # Transformer block (see the lesson) and compare what each gets.
            keras.layers.Flatten(),
            keras.layers.Dense(n_classes, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model
