"""Phase B predicts held-out rows one call at a time: nothing may carry a row's content into the next call.

The only state a safe_mode model has is its variables. Keras 3's predict runs every layer with training=False,
even one called with training=True in the model's graph, so BatchNormalization cannot store the last batch in
its moving statistics (momentum=0 would make it a perfect one-row memory) and no variable changes at all. This
test pins that fact down, in a fresh interpreter, so a Keras upgrade that changed it would be noticed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = r"""
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras
import numpy as np

inp = keras.Input((4,))
remembered = keras.layers.BatchNormalization(momentum=0.0, name="remember")(inp, training=True)
replayed = keras.layers.BatchNormalization(name="replay")(inp)
noisy = keras.layers.Dropout(0.5)(inp, training=True)
model = keras.Model(inp, keras.layers.Concatenate()([remembered, replayed, noisy]))
model.compile(optimizer="adam", loss="mse")
path = os.path.join(sys.argv[1], "m.keras")
model.save(path)
loaded = keras.saving.load_model(path, compile=False, safe_mode=True)
before = [v.numpy().copy() for v in loaded.variables]
first, second = np.full((1, 4), 100.0), np.arange(4.0).reshape(1, 4)
fresh = loaded.predict_on_batch(second)
loaded.predict_on_batch(first)  # a row with very different content...
after_other = loaded.predict_on_batch(second)  # ...must leave no trace in the next call
changed = [v.path for v, old in zip(loaded.variables, before) if not np.array_equal(v.numpy(), old)]
print(json.dumps({"changed": changed, "same": bool(np.array_equal(fresh, after_other))}))
"""


def test_a_prediction_leaves_no_state_for_the_next_one(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["changed"] == [], f"predicting changed model variables: {facts['changed']}"
    assert facts["same"], "a row's answer changed after another row was predicted"
