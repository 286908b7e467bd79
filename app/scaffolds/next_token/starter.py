import keras

WINDOW = 8
EPOCHS = 4
BATCH_SIZE = 64


def build_model(window: int, vocab_size: int) -> keras.Model:
    """Return a compiled model mapping `window` character ids -> a probability for each of vocab_size characters."""
    raise NotImplementedError("Embedding, LSTM, then Dense(vocab_size, activation='softmax')")
