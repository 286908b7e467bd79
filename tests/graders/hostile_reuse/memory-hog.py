# A model that ends its evaluator job well (it only fails the lesson's parameter budget) but whose training leaves
# memory behind in the process: Keras/TF keep about the size of the weights, gradients and optimizer slots of every
# fit after clear_session. Graded a few times in one evaluator, it left the next learner without memory.
import keras

EPOCHS = 1
BATCH_SIZE = 64


def build_model(timesteps, n_features, n_classes):
    model = keras.Sequential([keras.Input(shape=(timesteps, n_features)), keras.layers.GRU(8),
                              keras.layers.Dense(2800), keras.layers.Dense(2800),
                              keras.layers.Dense(n_classes, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model
