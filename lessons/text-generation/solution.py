"""Reference solution: embed the character ids, read them with one LSTM, predict the next character."""

import keras

WINDOW = 20  # three or four words of context
EPOCHS = 8
BATCH_SIZE = 128


def build_model(window: int, vocab_size: int) -> keras.Model:
    """Return a compiled model mapping (window,) character ids -> vocab_size probabilities."""
    model = keras.Sequential(
        [
            keras.Input(shape=(window,), dtype="int32"),
            keras.layers.Embedding(vocab_size, 16),  # each id -> a learned 16-number vector
            keras.layers.LSTM(96),
            keras.layers.Dense(vocab_size, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01, clipnorm=1.0),
        loss="sparse_categorical_crossentropy",
    )
    return model
