"""Golden: the input has no features axis. expect: status=not_gradable failure=contract_error check=input_shape message=(timesteps, features)"""

import keras

WINDOW = 24
EPOCHS = 2
BATCH_SIZE = 32


def build_model(window, n_features):
    inputs = keras.Input(shape=(window,))
    x = keras.layers.LSTM(16)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    model.compile(optimizer="adam", loss="mse")
    return model
