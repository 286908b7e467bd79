"""Golden: a dense network with no recurrent layer. expect: status=failed check=layers"""

import keras

WINDOW = 24
EPOCHS = 3
BATCH_SIZE = 64


def build_model(window, n_features):
    model = keras.Sequential([keras.Input(shape=(window, n_features)), keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model
