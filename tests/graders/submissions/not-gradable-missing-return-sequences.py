"""Golden: two stacked LSTMs, the first without return_sequences. expect: status=not_gradable failure=contract_error check=return_sequences message=return_sequences=True"""

import keras

WINDOW = 24
EPOCHS = 2
BATCH_SIZE = 32


def build_model(window, n_features):
    model = keras.Sequential([
        keras.Input(shape=(window, n_features)),
        keras.layers.LSTM(16),
        keras.layers.LSTM(8),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")
    return model
