import keras

EPOCHS = 2
BATCH_SIZE = 32


def build_model(timesteps: int, n_features: int, n_tags: int) -> keras.Model:
    """Return a compiled model mapping (timesteps, n_features) -> (timesteps, n_tags) probabilities."""
    # TODO: a Dense layer sees one step at a time, with no memory of the steps before it. Put a recurrent
    # layer with return_sequences=True in front of it (one state per step), and train for more epochs.
    model = keras.Sequential([
        keras.Input(shape=(timesteps, n_features)),
        keras.layers.Dense(n_tags, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
