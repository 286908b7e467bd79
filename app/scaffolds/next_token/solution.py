"""Reference solution: embed the character ids, read a whole line with one LSTM, predict the next character."""

import keras

WINDOW = 32  # a whole line: what a line repeats was written at most about 25 characters back
EPOCHS = 8
BATCH_SIZE = 128


def build_model(window: int, vocab_size: int) -> keras.Model:
    """Return a compiled model mapping `window` character ids -> a probability for each of vocab_size characters."""
    model = keras.Sequential([
        keras.Input(shape=(window,), dtype="int32"),
        keras.layers.Embedding(vocab_size, 16),
        keras.layers.LSTM(64),  # its state remembers the start of the line
        keras.layers.Dense(vocab_size, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01, clipnorm=1.0),
                  loss="sparse_categorical_crossentropy")
    return model
