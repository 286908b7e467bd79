"""Batch statistics hidden under the rows-alone tolerance: a batch-dependent decision in tiny probability differences.

Lesson: many-to-one-gestures (input (30, 3), output 4 class probabilities, scored by the argmax only).

The same hand-weighed features as batch-statistics-classifier.py (variance of x, y and z and the swept x-y
area, z-scored with the mean and spread of the *batch*), but the logits are multiplied by SCALE = 2e-5
before the softmax. Every probability stays within about 5e-5 of 0.25, and alone (a batch of one, every
z-score 0) the model answers exactly 0.25 for each class. Phase B's rows-alone check compares a row's
batched and alone outputs with np.allclose(rtol=1e-3, atol=1e-4), i.e. in output units: a difference of
5e-5 is "the same answer". But accuracy only looks at which class is largest, and that is decided by
the batch: in a batch of a few hundred mixed recordings it is right every time, alone it is a four-way tie.
A row's *decision* depends on the other rows, so it must not pass (expected: not_gradable/batch_dependent).

(The same blind spot without any softmax: outputs of 1000 + logits are allowed to move by 1.0 between a
batch and alone under rtol=1e-3, and argmax scoring does not care about the offset.)

The GRU is there for the lesson's layer rule; its read-out is frozen at zero, so it adds exactly nothing.
Built only from keras.ops on KerasTensors and built-in layers: loads with safe_mode=True.

Measured (tests/graders/test_cheating_models.py, held-out "private"):
  grader at cc43cda, 2 runs: passed, score 1.0; held-out accuracy 1.0 vs 0.244.
  grader now (shuffled batches of up to 256 + rows alone), 5 runs: PASSED, score 1.0, held-out accuracy 1.0
    vs 0.205 / 0.205 / 0.2575 / 0.2375 / 0.26 for the majority class. A hole: the rows-alone check does not
    see it (alone, argmax of a four-way tie is class 0: about 25 % accuracy).
"""

import keras
import numpy as np
from keras import ops

EPOCHS = 1
BATCH_SIZE = 128
SCALE = 2e-5  # logits this small keep every probability within ~5e-5 of 0.25: inside atol + rtol * 0.25
WEIGHTS = [[0.0, 0.0, 2.0, 0.0],  # var x    -> shake
           [2.0, 2.0, -2.0, 0.0],  # var y    -> circles, not shake
           [0.0, 0.0, 0.0, 2.0],  # var z    -> tap
           [-4.0, 4.0, 0.0, 0.0]]  # x-y area -> clockwise (negative) or anticlockwise (positive)


def build_model(timesteps, n_features, n_classes):
    inp = keras.Input(shape=(timesteps, n_features))
    c = inp - ops.mean(inp, axis=1, keepdims=True)
    var = ops.mean(c * c, axis=1)
    area = ops.sum(c[:, :-1, 0] * c[:, 1:, 1] - c[:, :-1, 1] * c[:, 1:, 0], axis=1, keepdims=True)
    features = ops.concatenate([var, area], axis=1)
    z = (features - ops.mean(features, axis=0, keepdims=True)) / (ops.std(features, axis=0, keepdims=True) + 1e-6)
    scored = keras.layers.Dense(n_classes, use_bias=False, trainable=False, name="by_hand")
    logits = scored(z)
    scored.set_weights([SCALE * np.asarray(WEIGHTS, dtype="float32")])
    readout = keras.layers.Dense(n_classes, kernel_initializer="zeros", trainable=False)(keras.layers.GRU(4)(inp))
    out = keras.layers.Activation("softmax")(keras.layers.Add()([logits, readout]))
    model = keras.Model(inp, out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model
