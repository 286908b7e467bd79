"""Classify one-line film reviews as negative (0) or positive (1) from their words, in order.

Each sample is a review of 3 to 21 words as token ids, padded with 0 after its last word to 24 ids
(keras.utils.pad_sequences(..., maxlen=24, padding="post")): "the plot was not very good" becomes
[43, 33, 48, 31, 47, 17, 0, 0, ..., 0]. Id 0 is padding and never a word. The grader trains your model for EPOCHS
epochs with BATCH_SIZE, measures its accuracy on held-out reviews, and checks that padding the same reviews at the
front instead of the end does not change their predictions.
"""

import keras

EPOCHS = 10
BATCH_SIZE = 64


def build_model(timesteps: int, vocab_size: int, n_classes: int) -> keras.Model:
    """Return a *compiled* model mapping (timesteps,) token ids, 0 for padding, to n_classes probabilities."""
    model = keras.Sequential(
        [
            keras.Input(shape=(timesteps,)),
            # TODO: the Embedding turns every id into a vector, the padding id 0 too. Nothing tells the LSTM
            #         which steps are padding, so it reads a dozen "padding words" after every short review.
            #         Make the Embedding mark id 0 as padding, so the layers after it skip those steps.
            keras.layers.Embedding(vocab_size, 16),
            keras.layers.LSTM(24),
            keras.layers.Dense(n_classes, activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
