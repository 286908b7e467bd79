import keras

EPOCHS = 10
BATCH_SIZE = 32


def build_model(timesteps, n_features, n_tags):
    model = keras.Sequential([keras.Input(shape=(timesteps, n_features)), keras.layers.GRU(16, return_sequences=True),
                              keras.layers.Dense(n_tags, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
