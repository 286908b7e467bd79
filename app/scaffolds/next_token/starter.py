import keras

WINDOW = 8        # too short to see the start of a line: counting does as well
EPOCHS = 1
BATCH_SIZE = 64


def build_model(window: int, vocab_size: int) -> keras.Model:
    """Return a compiled model mapping `window` character ids -> a probability for each of vocab_size characters."""
    # TODO: this model has no memory: it averages the window's characters, so their order is lost. Read the
    # embedded characters with a recurrent layer (an LSTM) instead of the pooling layer, and train longer.
    model = keras.Sequential([
        keras.Input(shape=(window,), dtype="int32"),
        keras.layers.Embedding(vocab_size, 16),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(vocab_size, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model
