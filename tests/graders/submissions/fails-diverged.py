"""Golden: a learning rate so large the loss explodes. expect: status=failed failure=diverged check=finite_predictions message=learning rate"""

import keras

WINDOW = 24
EPOCHS = 5
BATCH_SIZE = 32


def build_model(window, n_features):
    model = keras.Sequential([keras.Input(shape=(window, n_features)), keras.layers.LSTM(8), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e6), loss="mse")
    return model
