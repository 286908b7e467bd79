"""Reference solution: an Embedding that masks padding (mask_zero=True), an LSTM that reads the review in order and
skips the padded steps, and a softmax over its last real state."""

import keras

EPOCHS = 10
BATCH_SIZE = 64


def build_model(timesteps: int, vocab_size: int, n_classes: int) -> keras.Model:
    """Return a compiled model mapping (timesteps,) token ids, 0 for padding, to n_classes probabilities."""
    model = keras.Sequential(
        [
            keras.Input(shape=(timesteps,)),
            # mask_zero=True: id 0 is padding; the layers after this one receive a mask that says so
            keras.layers.Embedding(vocab_size, 16, mask_zero=True),
            keras.layers.LSTM(24),  # skips masked steps: its last state is the one after the review's last word
            keras.layers.Dense(n_classes, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model
