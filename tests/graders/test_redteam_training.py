"""Red team of the build (phase A) / train + evaluate (phase B) split.

Phase A runs the learner's module and saves the untrained, compiled model; phase B (no learner code) loads it
with safe_mode=True, trains it with the grader's callbacks, reads clipping from the rebuilt optimizer, counts
constants stored in the archive's config toward max_params, refuses stateful layers and predicts held-out rows.
Each test is one hostile submission (a Python file, nothing else) and asserts the SAFE outcome. Attacks that
still succeeded were fixed; each test now pins the fix.

Phase A is hostile: learner code shares the interpreter with graders/worker.py (run as __main__), so it can
replace harness functions (check_model, pack) or keras.Model.save and hand phase B any archive it likes.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from graders import GradeReport, LessonGrading, WorkerPool, grade, load_grading

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


def lesson(slug: str) -> LessonGrading:
    return load_grading(REPO / "lessons" / slug)


def never_ours(report: GradeReport) -> None:
    """The invariant: nothing a learner submits turns into the grader's own 'error' status."""
    assert report.status.value != "error", f"{report.summary}\n{report.log[-2000:]}"


def graded(slug: str, code: str, pool: WorkerPool) -> GradeReport:
    report = grade(lesson(slug), textwrap.dedent(code), pool, seed=0)
    never_ours(report)
    print(f"\n{slug}: {report.status.value}{'/' + report.failure.value if report.failure else ''} "
          f"score {report.score} {report.metrics}\n{report.summary[:600]}")
    return report


def check(report: GradeReport, check_id: str):  # noqa: ANN201 - a report Check
    found = [c for c in report.checks if c.id == check_id]
    assert found, f"no {check_id} check: {[c.id for c in report.checks]} / {report.summary}"
    return found[0]


# A tiny GRU model for gru-vs-lstm (max_params = 1000): GRU(4) + Dense(1) = 84 + 5 = 89 parameters. TABLE is a
# constant handed to keras.ops, so it is stored in the archive's config (as a "__numpy__" value), not as weights.
GRU_WITH_TABLE = """
import numpy as np
import keras
WINDOW = 16
EPOCHS = 1
BATCH_SIZE = 256

TABLE = {table}

def build_model(window, n_features):
    inputs = keras.Input(shape=(window, n_features))
    y = keras.layers.Dense(1)(keras.layers.GRU(4)(inputs))
    # a lookup in the constant table (row 0 here; a real cheat would index it by a hash of the window)
    looked_up = keras.ops.take(TABLE, keras.ops.cast(keras.ops.zeros_like(y), "int32"))
    model = keras.Model(inputs, keras.ops.add(y, keras.ops.multiply(looked_up, 0.0)))
    model.compile(optimizer="adam", loss="mse")
    return model
"""


# ---------------------------------------------------------------- class 2: capacity past max_params (constants)


def test_a_flat_constant_table_counts_toward_the_budget(pool: WorkerPool) -> None:
    """Control: 1,500 numbers in one flat keras.ops constant are counted (89 + 1,500 > 1,000)."""
    report = graded("gru-vs-lstm", GRU_WITH_TABLE.format(table='np.full(1500, 0.001, dtype="float32")'), pool)
    budget = check(report, "max_params")
    assert not budget.passed and budget.points == 0, budget.message


def test_a_constant_table_in_rows_of_fifteen_counts_toward_the_budget(pool: WorkerPool) -> None:
    report = graded("gru-vs-lstm", GRU_WITH_TABLE.format(table='np.full((100, 15), 0.001, dtype="float32")'), pool)
    budget = check(report, "max_params")
    assert not budget.passed and budget.points == 0, budget.message


def test_a_constant_table_stored_as_strings_counts_toward_the_budget(pool: WorkerPool) -> None:
    code = GRU_WITH_TABLE.format(table='np.full(1500, 0.001, dtype="float32")') + textwrap.dedent("""
        import json, zipfile
        _save = keras.Model.save

        def save(self, path, *args, **kwargs):  # the harness saves with model.save: rewrite what it wrote
            _save(self, path, *args, **kwargs)
            with zipfile.ZipFile(path) as archive:
                files = {name: archive.read(name) for name in archive.namelist()}
            config = json.loads(files["config.json"])
            stack = [config]
            while stack:
                node = stack.pop()
                if isinstance(node, dict):
                    if node.get("class_name") == "__numpy__":
                        node["config"]["value"] = [repr(v) for v in node["config"]["value"]]
                    stack.extend(node.values())
                elif isinstance(node, list):
                    stack.extend(node)
            files["config.json"] = json.dumps(config).encode()
            with zipfile.ZipFile(path, "w") as archive:
                for name, data in files.items():
                    archive.writestr(name, data)

        keras.Model.save = save
    """)
    report = graded("gru-vs-lstm", code, pool)
    budget = check(report, "max_params")
    assert not budget.passed and budget.points == 0, budget.message


def test_a_constant_table_too_big_for_the_config_reader_is_refused(pool: WorkerPool) -> None:
    # 2.1 M zeros: "0.0, " is 5 bytes each, so config.json is ~10.5 MB (the archive itself compresses to ~20 KB).
    # Every check of phase B reads that config, so an unreadable one is refused outright, never waved through.
    report = graded("gru-vs-lstm", GRU_WITH_TABLE.format(table='np.zeros(2_100_000, dtype="float32")'), pool)
    assert report.status.value == "not_gradable" and report.score == 0
    assert "configuration" in report.summary and "8 MiB" in report.summary


# ---------------------------------------------------------------- class 1/2: phase-A training survives into phase B


def test_weights_set_in_build_model_do_not_reach_the_graded_model(pool: WorkerPool) -> None:
    """The marker stands in for weights build_model trained itself (it has the public data: the harness's job
    dict is one frame up). lr=0 keeps phase B from touching them; clipnorm earns the clipping point."""
    code = """
        import numpy as np
        import keras
        EPOCHS = 1
        BATCH_SIZE = 512

        def build_model(timesteps, n_features):
            model = keras.Sequential([keras.Input(shape=(timesteps, n_features)), keras.layers.GRU(2),
                                      keras.layers.Dense(1)])
            # here a real cheat would run model.fit(...) for as long as the wall clock allows, without clipping
            model.layers[-1].set_weights([np.zeros((2, 1)), np.array([1000.0])])
            model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0, clipnorm=1.0), loss="mse")
            return model
    """
    report = graded("vanishing-gradients", code, pool)
    assert report.metrics, report.summary
    # a freshly initialised GRU(2) predicts within a few units of the targets (~0..2); the marker predicts 1000
    assert report.metrics["validation_rmse"] < 100 * report.metrics["validation_baseline_rmse"], report.metrics


# ---------------------------------------------------------------- class 1: facts that are not true


def test_a_reported_window_that_differs_from_WINDOW_is_tampering(pool: WorkerPool) -> None:
    """Phase A reports window=48 while WINDOW=4: phase B trains on 4-step windows, the held-out rows have 48
    steps, the 'least squares on your window' baseline (the bar of gru-vs-lstm) is fitted on 4 steps, and the
    report says WINDOW=4."""
    code = """
        import sys
        import keras
        WINDOW = 4
        EPOCHS = 1
        BATCH_SIZE = 256

        harness = sys.modules["__main__"]
        harness.check_model = lambda *args, **kwargs: None  # the input is (None, None, 1): any number of steps
        _pack = harness.pack

        def pack(result):
            if isinstance(result, dict) and isinstance(result.get("reported"), dict):
                result["reported"]["window"] = 48
            return _pack(result)

        harness.pack = pack

        def build_model(window, n_features):
            model = keras.Sequential([keras.Input(shape=(None, n_features)), keras.layers.GRU(4),
                                      keras.layers.Dense(1)])
            model.compile(optimizer="adam", loss="mse")
            return model
    """
    report = graded("gru-vs-lstm", code, pool)
    assert report.status.value == "not_gradable", (report.status, report.training.get("constants"))


def test_a_window_reported_outside_the_contract_is_tampering(pool: WorkerPool) -> None:
    code = """
        import sys
        import keras
        WINDOW = 16
        EPOCHS = 1
        BATCH_SIZE = 256

        harness = sys.modules["__main__"]
        _pack = harness.pack

        def pack(result):
            if isinstance(result, dict) and isinstance(result.get("reported"), dict):
                result["reported"]["window"] = 5000
                result["reported"]["constants"]["EPOCHS"] = 10 ** 6
            return _pack(result)

        harness.pack = pack

        def build_model(window, n_features):
            model = keras.Sequential([keras.Input(shape=(window, n_features)), keras.layers.GRU(4),
                                      keras.layers.Dense(1)])
            model.compile(optimizer="adam", loss="mse")
            return model
    """
    report = graded("gru-vs-lstm", code, pool)
    assert report.status.value == "not_gradable" and "contract" in report.summary, report.summary


def test_reported_epochs_beyond_the_contract_are_tampering(pool: WorkerPool) -> None:
    """EPOCHS is validated in phase A, but phase A can rewrite its own answer: the parent checks it again."""
    code = """
        import sys
        import keras
        EPOCHS = 1
        BATCH_SIZE = 512

        harness = sys.modules["__main__"]
        _pack = harness.pack

        def pack(result):
            if isinstance(result, dict) and isinstance(result.get("reported"), dict):
                result["reported"]["constants"]["EPOCHS"] = 41  # epochs_max = 40
            return _pack(result)

        harness.pack = pack

        def build_model(timesteps, n_features):
            model = keras.Sequential([keras.Input(shape=(timesteps, n_features)), keras.layers.GRU(2),
                                      keras.layers.Dense(1)])
            model.compile(optimizer=keras.optimizers.Adam(clipnorm=1.0), loss="mse")
            return model
    """
    report = graded("vanishing-gradients", code, pool)
    assert report.status.value == "not_gradable" and "EPOCHS" in report.summary, report.summary


def test_a_patched_harness_cannot_claim_clipping(pool: WorkerPool) -> None:
    """Phase A's optimizer facts are no longer used at all: clipping comes from phase B's rebuilt optimizer."""
    code = """
        import sys
        import keras
        EPOCHS = 1
        BATCH_SIZE = 512

        harness = sys.modules["__main__"]
        for name in list(vars(harness)):
            if "optimizer" in name or "facts" in name:
                setattr(harness, name, lambda *a, **k: {"class": "Adam", "clipnorm": 1.0, "clipvalue": None,
                                                         "global_clipnorm": None, "learning_rate": 0.001})
        keras.optimizers.Adam.clipnorm = 1.0  # a class attribute in phase A's interpreter only

        def build_model(timesteps, n_features):
            model = keras.Sequential([keras.Input(shape=(timesteps, n_features)), keras.layers.GRU(2),
                                      keras.layers.Dense(1)])
            model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
            return model
    """
    report = graded("vanishing-gradients", code, pool)
    clipping = check(report, "gradient_clipping")
    assert not clipping.passed and clipping.points == 0, clipping.message
    assert report.training["reported_by"].startswith("measured by the grader")


# Hand-edited compile configs: phase A rewrites config.json after the harness saved the archive.
REWRITE = """
import json, zipfile
import keras
EPOCHS = 1
BATCH_SIZE = 512

_save = keras.Model.save

def save(self, path, *args, **kwargs):
    _save(self, path, *args, **kwargs)
    with zipfile.ZipFile(path) as archive:
        files = {{name: archive.read(name) for name in archive.namelist()}}
    config = json.loads(files["config.json"])
    rewrite(config)
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)

keras.Model.save = save

def rewrite(config):
{body}

def build_model(timesteps, n_features):
    model = keras.Sequential([keras.Input(shape=(timesteps, n_features)), keras.layers.GRU(2), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return model
"""

CLIP_CLAIMS = {
    # an optimizer wrapper that would carry the clipnorm attribute without applying it (Keras refuses the kwarg)
    "loss-scale-wrapper": """
    inner = config["compile_config"]["optimizer"]
    config["compile_config"]["optimizer"] = {"module": "keras.optimizers", "class_name": "LossScaleOptimizer",
                                             "config": {"inner_optimizer": inner, "clipnorm": 1.0},
                                             "registered_name": None}
    """,
    # a clipnorm that is not a number: Adam keeps it, float("1.0") would read it as 1.0, clipping cannot use it
    "string-clipnorm": """
    config["compile_config"]["optimizer"]["config"]["clipnorm"] = "1.0"
    """,
    "negative-clipnorm": """
    config["compile_config"]["optimizer"]["config"]["clipnorm"] = -1.0
    """,
    "infinite-clipnorm": """
    config["compile_config"]["optimizer"]["config"]["clipnorm"] = 1e300
    """,
    # several clip settings at once: Keras refuses this combination in the constructor
    "two-clip-settings": """
    config["compile_config"]["optimizer"]["config"].update(clipnorm=1.0, global_clipnorm=1.0)
    """,
    # a compile config whose optimizer is a keras *function* that is not an optimizer at all
    "optimizer-is-a-function": """
    config["compile_config"]["optimizer"] = {"module": "keras.utils", "class_name": "function",
                                             "config": "get_file", "registered_name": "function"}
    """,
}


@pytest.mark.parametrize("name", sorted(CLIP_CLAIMS))
def test_hand_edited_optimizers_earn_no_clipping_and_are_never_our_error(pool: WorkerPool, name: str) -> None:
    body = textwrap.indent(textwrap.dedent(CLIP_CLAIMS[name]).strip(), "    ")
    report = graded("vanishing-gradients", REWRITE.format(body=body), pool)
    clipping = [c for c in report.checks if c.id == "gradient_clipping"]
    assert not any(c.passed for c in clipping), (clipping[0].message, report.summary)


def test_a_clip_threshold_that_never_clips_earns_no_clipping_point(pool: WorkerPool) -> None:
    code = """
        import keras
        EPOCHS = 1
        BATCH_SIZE = 512

        def build_model(timesteps, n_features):
            model = keras.Sequential([keras.Input(shape=(timesteps, n_features)), keras.layers.SimpleRNN(2),
                                      keras.layers.Dense(1)])
            model.compile(optimizer=keras.optimizers.Adam(1e-3, clipnorm=1e11), loss="mse")
            return model
    """
    report = graded("vanishing-gradients", code, pool)
    clipping = check(report, "gradient_clipping")
    assert not clipping.passed, clipping.message


COMPILE_EXTREMES = {
    "steps-per-execution": """
    config["compile_config"]["steps_per_execution"] = 10 ** 9
    """,
    "loss-is-a-keras-utility": """
    config["compile_config"]["loss"] = {"module": "keras.utils", "class_name": "function", "config": "get_file",
                                        "registered_name": "function"}
    """,
    "loss-weights-and-metrics": """
    config["compile_config"]["loss_weights"] = [[1e308]]
    config["compile_config"]["metrics"] = [{"module": "keras.ops", "class_name": "function", "config": "exp",
                                            "registered_name": "function"}]
    """,
    "no-compile-config": """
    del config["compile_config"]
    """,
    "schedule-with-preloaded-state": """
    config["compile_config"]["optimizer"]["config"]["learning_rate"] = {
        "module": "keras.optimizers.schedules", "class_name": "ExponentialDecay", "registered_name": None,
        "config": {"initial_learning_rate": 1e308, "decay_steps": 0, "decay_rate": -1.0, "staircase": True}}
    """,
}


@pytest.mark.parametrize("name", sorted(COMPILE_EXTREMES))
def test_hand_edited_compile_configs_are_never_our_error(pool: WorkerPool, name: str) -> None:
    """Phase B now loads with compile=True: every compile_config field is deserialised and used by fit()."""
    body = textwrap.indent(textwrap.dedent(COMPILE_EXTREMES[name]).strip(), "    ")
    report = graded("vanishing-gradients", REWRITE.format(body=body), pool)
    assert "our bug" not in report.summary and "grader itself" not in report.summary, report.summary


def test_a_decoy_recurrent_layer_earns_no_layer_points(pool: WorkerPool) -> None:
    code = """
        import keras
        WINDOW = 16
        EPOCHS = 1
        BATCH_SIZE = 256

        def build_model(window, n_features):
            inputs = keras.Input(shape=(window, n_features))
            linear = keras.layers.Dense(1)(keras.layers.Flatten()(inputs))
            decoy = keras.layers.GRU(1)(inputs)
            model = keras.Model(inputs, keras.ops.add(linear, keras.ops.multiply(decoy, 0.0)))
            model.compile(optimizer="adam", loss="mse")
            return model
    """
    report = graded("gru-vs-lstm", code, pool)
    layers = check(report, "layers")
    assert not layers.passed and "does not change your model's prediction" in layers.message, layers.message
    assert not check(report, "return_sequences").passed  # no live recurrent layer to wire


def test_a_recurrent_layer_frozen_at_zero_earns_no_layer_points(pool: WorkerPool) -> None:
    """All-zero frozen weights: the GRU outputs 0 for every sequence, so it carries nothing, although noise on
    those weights would make the prediction move (its Dense read-out keeps its random initial weights)."""
    code = """
        import keras
        WINDOW = 16
        EPOCHS = 1
        BATCH_SIZE = 256

        def build_model(window, n_features):
            inputs = keras.Input(shape=(window, n_features))
            linear = keras.layers.Dense(1)(keras.layers.Flatten()(inputs))
            frozen = keras.layers.GRU(4, kernel_initializer="zeros", recurrent_initializer="zeros",
                                      bias_initializer="zeros", trainable=False)(inputs)
            model = keras.Model(inputs, keras.layers.Add()([linear, keras.layers.Dense(1)(frozen)]))
            model.compile(optimizer="adam", loss="mse")
            return model
    """
    report = graded("gru-vs-lstm", code, pool)
    layers = check(report, "layers")
    assert not layers.passed and "the same for every input" in layers.message, layers.message


def test_a_live_recurrent_layer_beside_a_linear_path_keeps_its_layer_points(pool: WorkerPool) -> None:
    """The other side of the two tests above: a GRU that is trained and added to a linear path is a real memory."""
    code = """
        import keras
        WINDOW = 16
        EPOCHS = 1
        BATCH_SIZE = 256

        def build_model(window, n_features):
            inputs = keras.Input(shape=(window, n_features))
            linear = keras.layers.Dense(1)(keras.layers.Flatten()(inputs))
            model = keras.Model(inputs, keras.layers.Add()([linear, keras.layers.Dense(1)(keras.layers.GRU(4)(inputs))]))
            model.compile(optimizer="adam", loss="mse")
            return model
    """
    layers = check(graded("gru-vs-lstm", code, pool), "layers")
    assert layers.passed, layers.message


# ---------------------------------------------------------------- classes 3/4: errors, crashes, blame


def test_an_archive_that_is_not_a_zip_is_the_learners_failure(pool: WorkerPool) -> None:
    code = """
        import keras
        EPOCHS = 1
        BATCH_SIZE = 512

        def _save(self, path, *args, **kwargs):
            with open(path, "wb") as fh:
                fh.write(b"PK\\x03\\x04" + b"\\xff" * 4096)

        keras.Model.save = _save

        def build_model(timesteps, n_features):
            model = keras.Sequential([keras.Input(shape=(timesteps, n_features)), keras.layers.GRU(2),
                                      keras.layers.Dense(1)])
            model.compile(optimizer="adam", loss="mse")
            return model
    """
    report = graded("vanishing-gradients", code, pool)
    assert report.status.value == "not_gradable", report.summary


def test_a_huge_output_in_phase_b_is_explained_as_an_output_shape(pool: WorkerPool) -> None:
    code = """
        import sys
        import keras
        WINDOW = 16
        EPOCHS = 1
        BATCH_SIZE = 256

        sys.modules["__main__"].check_output = lambda *args, **kwargs: None  # phase A's own output check

        def build_model(window, n_features):
            model = keras.Sequential([keras.Input(shape=(window, n_features)), keras.layers.GRU(2),
                                      keras.layers.Dense(12000)])
            model.compile(optimizer="adam", loss="mse")
            return model
    """
    report = graded("gru-vs-lstm", code, pool)
    assert report.status.value in ("failed", "not_gradable")
    assert "private channel" not in report.summary, report.summary


def test_run_eagerly_in_compile_does_not_stop_phase_b(pool: WorkerPool) -> None:
    """An honest debugging flag, no patching: model.compile(..., run_eagerly=True)."""
    code = """
        import keras
        EPOCHS = 1
        BATCH_SIZE = 512

        def build_model(timesteps, n_features):
            model = keras.Sequential([keras.Input(shape=(timesteps, n_features)), keras.layers.GRU(2),
                                      keras.layers.Dense(1)])
            model.compile(optimizer=keras.optimizers.Adam(clipnorm=1.0), loss="mse", run_eagerly=True)
            return model
    """
    report = graded("vanishing-gradients", code, pool)
    assert report.status.value in ("passed", "failed"), report.summary
