"""An LSTM in name only: least squares on the window does the work; the LSTM's output is multiplied by a frozen zero.

It meets every structural rule of lstm-sequence-prediction (an LSTM, Dense output), so the bar has to stop it: a
Dense layer on the flattened window is a weighted sum of the window, which cannot express the demand-response
switch ("if the last hour was above 12.2, the next is cut by 3") and does no better than the grader's least
squares baseline, the bar.
"""

import keras

WINDOW = 24
EPOCHS = 30
BATCH_SIZE = 32


def build_model(window: int, n_features: int) -> keras.Model:
    inputs = keras.Input(shape=(window, n_features))
    linear = keras.layers.Dense(1)(keras.layers.Flatten()(inputs))
    token = keras.layers.LSTM(1)(inputs)
    ignored = keras.layers.Dense(1, kernel_initializer="zeros", use_bias=False, trainable=False)(token)
    model = keras.Model(inputs, keras.layers.Add()([linear, ignored]))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005), loss="mse")
    return model
