"""Golden: the last LSTM returns a sequence, so the output has a time axis. expect: status=not_gradable failure=contract_error check=return_sequences message=one value per time step"""

import keras

WINDOW = 24
EPOCHS = 2
BATCH_SIZE = 32


def build_model(window, n_features):
    model = keras.Sequential([
        keras.Input(shape=(window, n_features)),
        keras.layers.LSTM(16, return_sequences=True),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")
    return model
