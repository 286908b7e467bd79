"""Translate dates written in words to ISO dates: "the third of march nineteen eighty seven" -> "1987-03-03".

The grader calls build_model(source_len, source_vocab, target_len, target_vocab), trains the model with teacher
forcing (the decoder reads the true date shifted right behind START) and then decodes each held-out source greedily,
one character at a time from the model's own guesses. It scores the share of dates decoded exactly right.
"""

import keras

EPOCHS = 12
BATCH_SIZE = 64


def build_model(source_len: int, source_vocab: int, target_len: int, target_vocab: int) -> keras.Model:
    """Return a compiled model [source ids (source_len,), decoder input ids (target_len,)] ->
    (target_len, target_vocab) probabilities.

    Loss: "sparse_categorical_crossentropy" (one integer character per output step).
    """
    source = keras.Input(shape=(source_len,), name="source")
    decoder_input = keras.Input(shape=(target_len,), name="decoder_input")

    # Encoder: reads the source and ends in a state that summarises it.
    embedded = keras.layers.Embedding(source_vocab, 32, mask_zero=True)(source)
    _, state_h, state_c = keras.layers.LSTM(64, return_state=True)(embedded)

    # Decoder: writes one character per step.
    # TODO: this decoder starts from zeros, not from the encoder's state, so it cannot know which date to write.
    #       Pass the encoder's final state to it.
    written = keras.layers.Embedding(target_vocab, 16)(decoder_input)
    steps = keras.layers.LSTM(64, return_sequences=True)(written)
    probabilities = keras.layers.Dense(target_vocab, activation="softmax")(steps)

    model = keras.Model([source, decoder_input], probabilities)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy")
    return model
