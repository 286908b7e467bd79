import keras

WINDOW = 8
EPOCHS = 4
BATCH_SIZE = 64


def build_model(window, vocab_size):
    model = keras.Sequential([keras.Input(shape=(window,)), keras.layers.Embedding(vocab_size, 8),
                              keras.layers.LSTM(32), keras.layers.Dense(vocab_size, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    return model
