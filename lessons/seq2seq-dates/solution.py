"""Reference solution: an LSTM encoder reads the source; its final state starts an LSTM decoder that writes the date."""

import keras

EPOCHS = 12
BATCH_SIZE = 64


def build_model(source_len: int, source_vocab: int, target_len: int, target_vocab: int) -> keras.Model:
    """Return a compiled model [source ids (source_len,), decoder input ids (target_len,)] ->
    (target_len, target_vocab) probabilities."""
    source = keras.Input(shape=(source_len,), name="source")
    decoder_input = keras.Input(shape=(target_len,), name="decoder_input")

    # Encoder: read the whole source; keep only its final state (the "thought vector").
    embedded = keras.layers.Embedding(source_vocab, 32, mask_zero=True)(source)
    _, state_h, state_c = keras.layers.LSTM(64, return_state=True)(embedded)

    # Decoder: start from the encoder's state and write one character per step.
    written = keras.layers.Embedding(target_vocab, 16)(decoder_input)
    steps = keras.layers.LSTM(64, return_sequences=True)(written, initial_state=[state_h, state_c])
    probabilities = keras.layers.Dense(target_vocab, activation="softmax")(steps)

    model = keras.Model([source, decoder_input], probabilities)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy")
    return model
