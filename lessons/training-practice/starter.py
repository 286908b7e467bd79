"""Training practice lab: the same data, your training recipe.

Each sample is 24 sensor readings, shape (24, 1); the target is one number that depends on the last two
readings, blurred by noise no model can predict. There are only about 400 samples to train on, so a large
model can learn the noise of those samples by heart. The grader trains your model for EPOCHS epochs with
BATCH_SIZE on the public samples (the last 100 are validation data), then scores it on held-out samples
against the strongest simple baseline. Your learning rate must follow a schedule, and an L2 penalty or
dropout must act on your model.

As it is, this file runs and shows both problems: a constant, high learning rate that bounces, and a big
unregularised model whose validation loss turns up after a few epochs while its training loss keeps falling.
Submit it, then change one thing at a time and compare your submissions in the table under the exercise.
"""

import keras

EPOCHS = 60
BATCH_SIZE = 32


def build_model(timesteps: int, n_features: int) -> keras.Model:
    """Return a *compiled* Keras model mapping (timesteps, n_features) -> one number."""
    model = keras.Sequential(
        [
            keras.Input(shape=(timesteps, n_features)),
            # TODO 1: regularise. Try dropout=0.2 here, a keras.layers.Dropout(0.2) before the output, or
            #         kernel_regularizer=keras.regularizers.L2(1e-3) (and compare them). Also try an initializer,
            #         e.g. kernel_initializer="he_normal", and a smaller layer.
            keras.layers.LSTM(64),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    # TODO 2: a constant rate of 0.02 keeps jumping around the minimum. Pass a schedule instead of a number,
    #         e.g. keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=300, decay_rate=0.5).
    # TODO 3: try keras.optimizers.RMSprop with the same schedule and compare.
    optimizer = keras.optimizers.Adam(learning_rate=0.02)
    model.compile(optimizer=optimizer, loss="mse")
    return model
