"""A bidirectional layer in name only: an order-blind network (an MLP on every step, pooled over time) decides.

The Bidirectional GRU's output is multiplied by a frozen zero, so the model sees which steps a sequence contains
but not their order; the pulse patterns differ in order, and the bar starts above the order-blind baseline.
"""

import keras

EPOCHS = 20
BATCH_SIZE = 32


def build_model(timesteps: int, n_features: int, n_classes: int) -> keras.Model:
    inputs = keras.Input(shape=(timesteps, n_features))
    steps = keras.layers.Dense(32, activation="relu")(inputs)  # the same function of each step, wherever it is
    steps = keras.layers.Dense(32, activation="relu")(steps)
    pooled = keras.layers.Concatenate()([keras.layers.GlobalAveragePooling1D()(steps),
                                         keras.layers.GlobalMaxPooling1D()(steps)])
    logits = keras.layers.Dense(n_classes)(pooled)
    token = keras.layers.Bidirectional(keras.layers.GRU(1))(inputs)
    ignored = keras.layers.Dense(n_classes, kernel_initializer="zeros", use_bias=False, trainable=False)(token)
    outputs = keras.layers.Activation("softmax")(keras.layers.Add()([logits, ignored]))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
