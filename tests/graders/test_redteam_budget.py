"""Red team: the recurrent-layer checks, attacked with built-in layers only.

A recurrent layer scaled down (not to zero) beside another path is still "influential" by the weight-disturbance
probe (noise of sd 1 on its weights moves the output by ~1e-3 > 1e-4). Beside a linear path the bar stopped it;
beside a small Dense network that does the work it passed gru-vs-lstm with full marks (score 1.0, held-out RMSE 33 %
under least squares), "Uses GRU" included. Replacing the layer's output by its mean must now move the predictions
by a share of the model's error (graders/worker.py `layer_matters`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from graders import HeldoutStore, grade, load_grading
from graders.pool import WorkerPool

REPO = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
sys.path.insert(0, sys.argv[1])
import keras
import numpy as np
from worker import mark_influence

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
probe = rng.normal(size=(64, 20, 1)).astype("float32")


def verdict(scale, beside):
    inputs = keras.Input(shape=(20, 1))
    gru = keras.layers.Rescaling(scale)(keras.layers.GRU(4)(inputs))
    out = keras.layers.Dense(1)(gru)
    if beside:
        hidden = keras.layers.Dense(16, activation="tanh")(keras.layers.Flatten()(inputs))
        out = keras.layers.Add()([keras.layers.Dense(1)(hidden), out])
    model = keras.Model(inputs, out)
    base = model.predict_on_batch(probe)
    targets = base + rng.normal(0.0, float(base.std()), base.shape)  # an error about the size of the signal
    return [e.get("influential") for e in mark_influence(model, probe, np, targets, keras) if e["class"] == "GRU"]


print(json.dumps({"alone": verdict(1.0, False), "beside": verdict(1.0, True), "whisper": verdict(1e-3, True)}))
"""


@pytest.mark.slow
def test_the_ablation_probe_tells_a_whispering_gru_from_a_working_one(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, str(REPO / "graders")], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    verdicts = json.loads(done.stdout.strip().splitlines()[-1])
    assert verdicts == {"alone": [True], "beside": [True], "whisper": [False]}, verdicts

SCALED_AWAY_GRU = """
import keras

WINDOW = 20
EPOCHS = 25
BATCH_SIZE = 32


def build_model(window, n_features):
    inputs = keras.Input(shape=(window, n_features))
    linear = keras.layers.Dense(1)(keras.layers.Flatten()(inputs))
    whisper = keras.layers.Rescaling(1e-3)(keras.layers.GRU(4)(inputs))
    summed = keras.layers.Dense(1, kernel_initializer="ones", use_bias=False, trainable=False)(whisper)
    model = keras.Model(inputs, keras.layers.Add()([linear, summed]))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005), loss="mse")
    return model
"""


MLP_WITH_A_WHISPERING_GRU = """
import keras

WINDOW = 20
EPOCHS = 40
BATCH_SIZE = 32


def build_model(window, n_features):
    inputs = keras.Input(shape=(window, n_features))
    hidden = keras.layers.Dense(28, activation="tanh")(keras.layers.Flatten()(inputs))
    mlp = keras.layers.Dense(1)(hidden)
    whisper = keras.layers.Rescaling(1e-3)(keras.layers.GRU(2)(inputs))
    summed = keras.layers.Dense(1, kernel_initializer="ones", use_bias=False, trainable=False)(whisper)
    model = keras.Model(inputs, keras.layers.Add()([mlp, summed]))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005), loss="mse")
    return model
"""


@pytest.mark.sandbox
@pytest.mark.slow
def test_a_gru_whispering_beside_a_dense_network_does_not_earn_uses_gru(pool: WorkerPool, tmp_path: Path) -> None:
    report = grade(load_grading(REPO / "lessons" / "gru-vs-lstm"), MLP_WITH_A_WHISPERING_GRU, pool,
                   heldout=HeldoutStore(tmp_path / "private"), seed=0)
    print(report.status, report.score, [(c.id, c.passed, c.message[:80]) for c in report.checks])
    assert report.status.value == "failed", report.summary
    uses = next(c for c in report.checks if c.id == "layers")
    assert not uses.passed and "scaled down to a whisper" in uses.message, uses.message


@pytest.mark.sandbox
@pytest.mark.slow
def test_a_gru_scaled_beside_a_linear_path_does_not_pass(pool: WorkerPool, tmp_path: Path) -> None:
    report = grade(load_grading(REPO / "lessons" / "gru-vs-lstm"), SCALED_AWAY_GRU, pool,
                   heldout=HeldoutStore(tmp_path / "private"), seed=0)
    print(report.status, report.score, [(c.id, c.passed, c.message[:80]) for c in report.checks])
    assert report.status.value == "failed", report.summary
    beats = next(c for c in report.checks if c.id == "beats_baseline")
    assert not beats.passed, beats.message
