import keras

EPOCHS = 8
BATCH_SIZE = 32


def build_model(timesteps, n_features, n_classes):
    model = keras.Sequential([keras.Input(shape=(timesteps, n_features)), keras.layers.GRU(8),
                              keras.layers.Dense(n_classes, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
