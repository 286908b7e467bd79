"""A character-level language model: read WINDOW characters, predict the next one.

The grader turns the course text into integer ids (one per distinct character, sorted), cuts it into
windows of WINDOW ids with the next id as the target, trains your model for EPOCHS epochs with
BATCH_SIZE, and measures on held-out text how many bits per character it needs, against a model that
only knows how frequent each character is. It then lets your model write a short sample.
"""

import keras

WINDOW = 20       # characters of context (the grader accepts 8..100)
EPOCHS = 8
BATCH_SIZE = 128


def build_model(window: int, vocab_size: int) -> keras.Model:
    """Return a *compiled* model mapping (window,) character ids -> vocab_size probabilities."""
    # TODO 1: keras.Input(shape=(window,), dtype="int32"): a window of character ids
    # TODO 2: keras.layers.Embedding(vocab_size, 16): one learned vector per character
    # TODO 3: a recurrent layer (LSTM or GRU) that reads the window
    # TODO 4: keras.layers.Dense(vocab_size, activation="softmax"): a probability for every character
    # TODO 5: compile with loss="sparse_categorical_crossentropy" (targets are ids) and Adam
    raise NotImplementedError("build your language model here")
