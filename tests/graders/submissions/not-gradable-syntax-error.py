"""Golden: a missing closing parenthesis. expect: status=not_gradable failure=syntax_error check=contract message=line 9"""

import keras

WINDOW = 24


def build_model(window, n_features):
    model = keras.Sequential([keras.Input(shape=(window, n_features)), keras.layers.LSTM(8)
    return model
