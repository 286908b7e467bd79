"""Red team, training recipe: a dropout, an L2 penalty or a schedule earns [contract] credit only when it acts on the
grader's training. Each case is a model whose archive holds the knob where it does nothing: L2 on a frozen layer
(Keras adds no loss for it), a Dropout and an L2 Dense on a branch multiplied by 0, a schedule whose rate falls
for the run's last step only, a schedule too slow to read. Run in a fresh interpreter: save, load with safe_mode, rebuild, fit, read the facts
with the worker's own functions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SCRIPT = r"""
import json, os, sys, math
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras
import numpy as np
sys.path.insert(0, sys.argv[2])
from graders import worker
from graders.answers import Architecture

rng = np.random.default_rng(0)
x = rng.normal(size=(256, 6, 1)).astype("float32")
y = x.sum(axis=1) + 0.1 * rng.normal(size=(256, 1)).astype("float32")
EPOCHS, BATCH = 2, 32
STEPS = EPOCHS * math.ceil(192 / BATCH)
L2 = keras.regularizers.L2
READ_SECONDS = worker.SCHEDULE_SECONDS


def case(name):
    inp = keras.Input((6, 1))
    flat = keras.layers.Flatten()(inp)
    rate = 0.01
    if name == "frozen_l2":  # the penalty is on a kernel training never changes
        hidden = keras.layers.Dense(8, kernel_regularizer=L2(0.01), trainable=False)(flat)
        out = keras.layers.Dense(1)(keras.layers.Concatenate()([flat, hidden]))
    elif name == "dead_branch":  # Dropout and an L2 Dense whose output is multiplied by 0
        dead = keras.layers.Dense(4, kernel_regularizer=L2(0.01))(keras.layers.Dropout(0.5)(flat))
        zero = keras.layers.Dense(4, kernel_initializer="zeros", bias_initializer="zeros", trainable=False)(flat)
        out = keras.layers.Dense(1)(keras.layers.Concatenate()([flat, keras.layers.Multiply()([dead, zero])]))
    elif name == "last_step_decay":  # the rate falls for the run's last step only
        out = keras.layers.Dense(1)(flat)
        rate = keras.optimizers.schedules.PiecewiseConstantDecay([STEPS - 2], [0.01, 0.001])
    elif name == "honest":  # what must keep its credit
        hidden = keras.layers.Dropout(0.2)(keras.layers.Bidirectional(keras.layers.GRU(4, dropout=0.1, return_sequences=True))(inp))
        hidden = keras.layers.Concatenate()([keras.layers.Flatten()(hidden), keras.layers.LSTM(8, dropout=0.2, kernel_regularizer=L2(1e-3))(inp)])
        sub = keras.Sequential([keras.Input((hidden.shape[-1],)), keras.layers.Dropout(0.25),
                                keras.layers.Dense(4, kernel_regularizer=L2(1e-3))])
        out = keras.layers.Dense(1)(sub(hidden))
        rate = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=STEPS // 2, decay_rate=0.5)
    elif name == "slow_schedule":  # read too slowly (thousands of boundaries): no facts, no credit
        out = keras.layers.Dense(1)(flat)
        rate = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=STEPS // 2, decay_rate=0.5)
    worker.SCHEDULE_SECONDS = 0.0 if name == "slow_schedule" else READ_SECONDS
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(rate), loss="mse")
    path = os.path.join(sys.argv[1], name + ".keras")
    model.save(path)
    loaded = keras.saving.load_model(path, compile=True, safe_mode=True)
    fresh = worker.fresh_model(loaded, 0, keras)
    fresh.fit(x[:192], y[:192], epochs=EPOCHS, batch_size=BATCH, verbose=0, shuffle=False)
    before = [v.numpy().copy() for v in fresh.variables]
    layers = worker.mark_influence(fresh, x[192:], np, y[192:], keras)
    unchanged = all(np.array_equal(v.numpy(), b) for v, b in zip(fresh.variables, before)
                    if "seed_generator" not in v.path)  # dropout's random state: predict never draws from it
    arch = Architecture.model_validate({"input_shape": [None, 6, 1], "output_shape": [None, 1], "params": 1,
                                        "layers": layers, "optimizer": worker.optimizer_facts(fresh, np)})
    schedule = arch.optimizer.schedule
    return {"regularisation": arch.regularisation(), "schedule_acts": bool(schedule and schedule.acts()),
            "unchanged": unchanged}


print(json.dumps({name: case(name) for name in sys.argv[3].split(",")}))
"""


def test_recipe_knobs_that_do_not_act_earn_no_credit_and_honest_ones_do(tmp_path: Path) -> None:
    cases = "frozen_l2,dead_branch,last_step_decay,slow_schedule,honest"
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), str(REPO), cases], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["frozen_l2"]["regularisation"] == []
    assert facts["dead_branch"]["regularisation"] == []
    assert not facts["last_step_decay"]["schedule_acts"] and not facts["slow_schedule"]["schedule_acts"]
    assert facts["honest"]["schedule_acts"]
    assert facts["honest"]["regularisation"] == ["GRU dropout 0.1", "Dropout 0.2", "LSTM kernel L2 0.001",
                                                 "LSTM dropout 0.2", "Dropout 0.25", "Dense kernel L2 0.001"]
    # measuring which layers act leaves the trained model as it was (the predictions come after)
    assert all(case["unchanged"] for case in facts.values())
