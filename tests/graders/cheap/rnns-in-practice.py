"""A GRU in name only: least squares on the window does the work; a one-unit GRU is wired in beside it.

rnns-in-practice requires no particular layer, so a recurrent layer whose output were thrown away would be
graded as absent (and fail the structure checks) rather than reach the bar. This GRU is live: its single unit
feeds the output through a trainable Dense layer, so every structural check passes. But one unit can only add a
shift to the forecast, while the rain in this lesson's data scales the coming hours' usual shape, and a Dense
layer on the flattened window can do no better than least squares on the same window, which is one of the
baselines; so only the bar can stop it, and it must. Measured (one private held-out draw): failed, held-out MAE
22.08 vs 22.53 for least squares on the window, 2 % lower where full marks need 12 %.
"""

import keras

WINDOW = 96
EPOCHS = 25
BATCH_SIZE = 64


def build_model(window: int, n_features: int) -> keras.Model:
    inputs = keras.Input(shape=(window, n_features))
    linear = keras.layers.Dense(6)(keras.layers.Flatten()(inputs))
    token = keras.layers.Dense(6)(keras.layers.GRU(1)(inputs))
    model = keras.Model(inputs, keras.layers.Add()([linear, token]))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003), loss="mse")
    return model
