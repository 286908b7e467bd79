"""Golden: a model that copies the next row's last input (its own target) across the batch. expect: status=not_gradable failure=batch_dependent message=same batch"""

import keras

WINDOW = 24
EPOCHS = 1
BATCH_SIZE = 32


def build_model(window, n_features):
    inp = keras.Input(shape=(window, n_features))
    lstm = keras.layers.Dense(1)(keras.layers.LSTM(2)(inp))
    nxt = keras.ops.roll(inp[:, -1, :], shift=-1, axis=0)  # phase B shuffles rows, so this reads noise
    out = keras.layers.Add()([nxt, keras.layers.Multiply()([lstm, keras.ops.zeros_like(lstm)])])
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="mse")
    return model
