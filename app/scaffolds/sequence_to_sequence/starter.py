import keras

EPOCHS = 2
BATCH_SIZE = 32


def build_model(source_len: int, source_vocab: int, target_len: int, target_vocab: int) -> keras.Model:
    """Return a compiled model [source ids (source_len,), decoder input ids (target_len,)] ->
    (target_len, target_vocab) probabilities."""
    source = keras.Input(shape=(source_len,))
    decoder_input = keras.Input(shape=(target_len,))
    _, h, c = keras.layers.LSTM(32, return_state=True)(keras.layers.Embedding(source_vocab, 16, mask_zero=True)(source))
    # TODO: this decoder starts from zeros, so it cannot know the source. Pass initial_state=[h, c].
    steps = keras.layers.LSTM(32, return_sequences=True)(keras.layers.Embedding(target_vocab, 8)(decoder_input))
    model = keras.Model([source, decoder_input], keras.layers.Dense(target_vocab, activation="softmax")(steps))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy")
    return model
