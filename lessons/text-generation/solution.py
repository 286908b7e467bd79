"""Reference solution: embed the character ids, read a whole line of them with one LSTM, predict the next one."""

import keras

WINDOW = 32  # a whole line: the name, colour or thing a line repeats was written at most 30 characters back
EPOCHS = 8
BATCH_SIZE = 128


def build_model(window: int, vocab_size: int) -> keras.Model:
    """Return a compiled model mapping (window,) character ids -> vocab_size probabilities."""
    model = keras.Sequential(
        [
            keras.Input(shape=(window,), dtype="int32"),
            keras.layers.Embedding(vocab_size, 16),  # each id -> a learned 16-number vector
            keras.layers.LSTM(64),  # reads the window in order; its state remembers the start of the line
            keras.layers.Dense(vocab_size, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01, clipnorm=1.0),
        loss="sparse_categorical_crossentropy",
    )
    return model
