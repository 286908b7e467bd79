# A small valid model appended to each hostile submission, so grading goes on after the attack.
import keras

WINDOW = 24
EPOCHS = 1
BATCH_SIZE = 64


def build_model(window, n_features):
    model = keras.Sequential([keras.Input(shape=(window, n_features)), keras.layers.LSTM(8), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model
