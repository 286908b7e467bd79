"""Golden: the model is returned without compile(). expect: status=not_gradable failure=contract_error check=contract message=not compiled"""

import keras

WINDOW = 24
EPOCHS = 2
BATCH_SIZE = 32


def build_model(window, n_features):
    return keras.Sequential([keras.Input(shape=(window, n_features)), keras.layers.LSTM(8), keras.layers.Dense(1)])
