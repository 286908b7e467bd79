"""Reference solution: a smaller LSTM with dropout and an L2 penalty, trained with Adam on a decaying schedule."""

import keras

EPOCHS = 50
BATCH_SIZE = 32


def build_model(timesteps: int, n_features: int) -> keras.Model:
    """Return a compiled model mapping (timesteps, 1) -> one number."""
    model = keras.Sequential(
        [
            keras.Input(shape=(timesteps, n_features)),
            keras.layers.LSTM(32, kernel_regularizer=keras.regularizers.L2(3e-3)),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(1),
        ]
    )
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=150, decay_rate=0.5)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=schedule), loss="mse")
    return model
