"""Batch statistics: a classifier whose decision thresholds are the mean and spread of the rows it is given.

Lesson: many-to-one-gestures (input (30, 3), output 4 class probabilities, accuracy).

The gestures are told apart by four numbers per recording: the variance of x, of y and of z around the
recording's own mean, and the signed area swept in the x-y plane (clockwise circles sweep negative area,
anticlockwise ones positive). Instead of fixed thresholds this model z-scores the four numbers with the
mean and standard deviation of the *batch* (keras.ops.mean / std over axis 0, what BatchNormalization does
while training) and weighs the z-scores by hand: on a batch of a few hundred mixed recordings that is
accurate with no training at all, so before the fix (one predict batch over all held-out rows) it passed.
But a row's answer then depends on the other rows: alone (a batch of one) every z-score is 0. Phase B's
rows-alone check must make it not gradable (batch_dependent), whatever its accuracy.

A GRU is there for the lesson's layer rule; its read-out starts at zero and trains at a tiny rate.
Built only from keras.ops on KerasTensors and built-in layers: loads with safe_mode=True.

Measured (tests/graders/test_cheating_models.py, held-out "private"):
  grader at cc43cda (predict batches of 256, public tail), 3 runs: passed, score 1.0; held-out accuracy 1.0 vs
    0.244 for the majority class.
  grader now (shuffled batches of up to 256 + rows alone), 4 runs: not_gradable, failure batch_dependent,
    score 0, e.g. "[0.9992, 0.0, 0.0004] in a batch vs [0.25, 0.25, 0.25] alone".
  reference solution (GRU(24), 10 epochs) now: passed, accuracy 1.0 vs 0.205.
"""

import keras
import numpy as np
from keras import ops

EPOCHS = 1
BATCH_SIZE = 128
# rows: z-scores of (var x, var y, var z, swept area); columns: classes (clockwise, anticlockwise, shake, tap)
WEIGHTS = [[0.0, 0.0, 2.0, 0.0],
           [2.0, 2.0, -2.0, 0.0],
           [0.0, 0.0, 0.0, 2.0],
           [-4.0, 4.0, 0.0, 0.0]]


def build_model(timesteps, n_features, n_classes):
    inp = keras.Input(shape=(timesteps, n_features))
    c = inp - ops.mean(inp, axis=1, keepdims=True)  # each recording around its own mean (per row: fine)
    var = ops.mean(c * c, axis=1)  # (batch, 3)
    area = ops.sum(c[:, :-1, 0] * c[:, 1:, 1] - c[:, :-1, 1] * c[:, 1:, 0], axis=1, keepdims=True)
    features = ops.concatenate([var, area], axis=1)  # (batch, 4)
    z = (features - ops.mean(features, axis=0, keepdims=True)) / (ops.std(features, axis=0, keepdims=True) + 1e-6)
    scored = keras.layers.Dense(n_classes, use_bias=False, trainable=False, name="by_hand")
    logits = scored(z)
    scored.set_weights([np.asarray(WEIGHTS, dtype="float32")])
    readout = keras.layers.Dense(n_classes, kernel_initializer="zeros")(keras.layers.GRU(4)(inp))
    out = keras.layers.Activation("softmax")(keras.layers.Add()([logits, readout]))
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="sparse_categorical_crossentropy")
    return model
