"""Golden: a Lambda layer, refused by safe_mode loading. expect: status=not_gradable failure=unsafe_model check=safe_model message=Lambda"""

import keras

WINDOW = 24
EPOCHS = 1
BATCH_SIZE = 64


def build_model(window, n_features):
    model = keras.Sequential([
        keras.Input(shape=(window, n_features)),
        keras.layers.Lambda(lambda x: x * 2.0),
        keras.layers.LSTM(8),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse")
    return model
