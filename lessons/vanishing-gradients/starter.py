"""The marked-difference problem: remember the first marked value across 30 or more steps.

Each sample has shape (60, 2): feature 0 is a random value in [0, 1), feature 1 is a marker that is 1 at
exactly two steps, at least 30 steps apart. The target is the value at the FIRST marker minus the value at
the SECOND marker, so the order of the markers matters. The grader trains your model for EPOCHS epochs with
BATCH_SIZE on the public samples, then scores it on held-out samples against the strongest simple baseline
(predicting the mean, or a linear model on the flattened steps or on order-blind statistics of the steps).
Your optimizer must clip gradients.

As it is, this file runs and shows the problem: a plain SimpleRNN stays on the plateau of predicting the mean.
"""

import keras

EPOCHS = 10
BATCH_SIZE = 32


def build_model(timesteps: int, n_features: int) -> keras.Model:
    """Return a *compiled* Keras model mapping (timesteps, n_features) -> one number (first minus second)."""
    model = keras.Sequential(
        [
            keras.Input(shape=(timesteps, n_features)),
            # TODO 1: a plain SimpleRNN forgets the first marked value long before the second marker arrives.
            #         Replace it with a layer whose gates can hold a value for many steps.
            keras.layers.SimpleRNN(32),
            keras.layers.Dense(1),
        ]
    )
    # TODO 2: clip the gradients: pass clipnorm=1.0 (or clipvalue / global_clipnorm) to the optimizer,
    #         and consider a larger learning rate than Adam's default 0.001.
    optimizer = keras.optimizers.Adam()
    model.compile(optimizer=optimizer, loss="mse")
    return model
