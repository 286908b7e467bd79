"""Hostile answers: whatever a submission sends back, the trusted side never fails (no status 'error', no exit 2),
scores only facts it can check itself, and tells the learner what happened in their words."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from graders import GradeReport, LessonGrading, WorkerPool, grade, load_grading

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "lessons"
pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

MODEL = """
import keras
WINDOW = 24
EPOCHS = 1
BATCH_SIZE = 64


def build_model(window, n_features):
    model = keras.Sequential([keras.Input(shape=(window, n_features)), keras.layers.LSTM(8), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model
"""


def never_ours(report: GradeReport) -> None:
    """The invariant: nothing a learner submits turns into the grader's own 'error' status."""
    assert report.status.value != "error", f"{report.summary}\n{report.log[-2000:]}"


def function_answer(pool: WorkerPool, body: str) -> GradeReport:
    lesson = load_grading(FIXTURES / "scale-function")
    report = grade(lesson, "import numpy as np\n\n\ndef standardise(train, values):\n" + textwrap.indent(body, "    "),
                   pool)
    never_ours(report)
    return report


@pytest.mark.parametrize(("body", "words"), [
    ('return {"__ndarray__": [[1, 2]], "dtype": "float64", "shape": [1, 2]}', "dict"),
    ('return {"$array": 0}', "dict"),
    ("x = []\nfor _ in range(600):\n    x = [x]\nreturn x", "returned"),
    ("return 10 ** 400", "returned"),
    ("return [[1, 2], [3]]", "returned"),
    ("return object()", "object"),
    ('return np.array(["a", "b"])', "returned"),
    ("return np.zeros(10**9, dtype=bool)[:0]", "shape"),
])
def test_function_results_that_look_like_ours_or_break_decoders_are_just_wrong(pool: WorkerPool, body: str,
                                                                               words: str) -> None:
    report = function_answer(pool, body)
    assert report.status.value == "failed"
    assert words in " ".join(c.message for c in report.checks)


def test_a_model_that_drops_rows_is_not_gradable(lstm_lesson: LessonGrading, pool: WorkerPool) -> None:
    """Phase A can be patched to skip training, so a model whose predict returns fewer rows reaches phase B."""
    code = textwrap.dedent("""
        import types
        import keras
        WINDOW = 24
        EPOCHS = 1
        BATCH_SIZE = 64
        keras.Model.fit = lambda self, *a, **k: types.SimpleNamespace(history={"loss": [0.1], "val_loss": [0.1]})

        def build_model(window, n_features):
            inputs = keras.Input(shape=(window, n_features))
            outputs = keras.layers.Dense(1)(keras.layers.LSTM(8)(inputs))[1:]  # one row fewer than it was given
            model = keras.Model(inputs, outputs)
            model.compile(optimizer="adam", loss="mse")
            return model
    """)
    report = grade(lstm_lesson, code, pool)
    never_ours(report)
    assert report.status.value == "not_gradable"
    assert "row" in report.summary


def test_nan_probabilities_are_the_learners_failure_not_a_grader_crash(pool: WorkerPool) -> None:
    lesson = load_grading(FIXTURES / "abc-text")
    code = textwrap.dedent("""
        import keras
        WINDOW = 8
        EPOCHS = 1
        BATCH_SIZE = 64

        def build_model(window, vocab_size):
            model = keras.Sequential([keras.Input(shape=(window,)), keras.layers.Embedding(vocab_size, 4),
                                      keras.layers.LSTM(4),
                                      keras.layers.Dense(vocab_size, activation="softmax",
                                                         kernel_initializer=keras.initializers.Constant(float("nan")))])
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
            return model
    """)
    report = grade(lesson, code, pool)
    never_ours(report)
    assert report.status.value == "failed"
    messages = " ".join(c.message for c in report.checks if not c.passed)
    assert "NaN" in messages and "learning rate" in messages


def test_forged_training_facts_earn_nothing(pool: WorkerPool) -> None:
    """Phase B trains the saved model itself, with the optimizer it rebuilt from the archive: a harness patched to
    report clipnorm=1.0 (or any history) gains nothing, and what the report shows is what really ran."""
    lesson = load_grading(REPO / "lessons" / "vanishing-gradients")
    code = textwrap.dedent("""
        import sys
        import keras
        EPOCHS = 1
        BATCH_SIZE = 256

        harness = sys.modules["__main__"]
        for name in list(vars(harness)):
            if "optimizer" in name or "facts" in name:
                setattr(harness, name, lambda *a, **k: {"class": "Adam", "clipnorm": 1.0, "clipvalue": None,
                                                         "global_clipnorm": None, "learning_rate": 0.001})

        def build_model(timesteps, n_features):
            model = keras.Sequential([keras.Input(shape=(timesteps, n_features)), keras.layers.GRU(8),
                                      keras.layers.Dense(1)])
            model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")  # no clipping
            return model
    """)
    report = grade(lesson, code, pool)
    never_ours(report)
    clipping = next(c for c in report.checks if c.id == "gradient_clipping")
    assert not clipping.passed and clipping.points == 0
    assert "measured by the grader" in report.training["reported_by"]
    assert report.training["epochs_run"] == 1 and len(report.history) == 1  # the grader's own run of EPOCHS = 1


def test_int_subclass_constants_are_named_honestly(lstm_lesson: LessonGrading, pool: WorkerPool) -> None:
    code = MODEL.replace("EPOCHS = 1", "class Lying(int):\n    def __gt__(self, other):\n        return False\n\n\n"
                         "EPOCHS = Lying(10**9)")
    report = grade(lstm_lesson, code, pool)
    never_ours(report)
    assert report.status.value == "not_gradable"
    assert "EPOCHS must be a plain int" in report.summary and "private channel" not in report.summary


@pytest.mark.parametrize(("bad", "words"), [("\x00", "NUL"), ("\ud800", "surrogate")])
def test_bytes_that_are_not_source_text_are_a_syntax_error_with_its_line(lstm_lesson: LessonGrading, pool: WorkerPool,
                                                                         bad: str, words: str) -> None:
    report = grade(lstm_lesson, MODEL.replace("EPOCHS = 1", "EPOCHS = 1" + bad), pool)
    never_ours(report)
    assert report.failure is not None and report.failure.value == "syntax_error"
    assert "line 4" in report.summary and words in report.summary


def test_an_oversize_submission_is_refused_with_its_size(lstm_lesson: LessonGrading, pool: WorkerPool) -> None:
    report = grade(lstm_lesson, MODEL + "#" * (80 * 1024 * 1024), pool)
    never_ours(report)
    assert report.status.value == "not_gradable"
    assert "80.0 MiB" in report.summary and "64 KiB" in report.summary and "harness" not in report.summary


BOMBS = {
    "announced-48MiB-frame": """
        os.write(fd, struct.pack(">cI", b"J", 48 * 1024 * 1024) + b"[" + b"{}," * 1000)
    """,
    "many-small-frames-of-empty-objects": """
        payload = b"[" + b"{}," * 20000 + b"{}]"
        for _ in range(2000):
            os.write(fd, struct.pack(">cI", b"J", len(payload)) + payload)
    """,
    "result-with-huge-blobs": """
        head = b'{"event":"result","outcome":"ok","data":null,"blobs":16}'
        os.write(fd, struct.pack(">cI", b"J", len(head)) + head)
        chunk = b"\\0" * (1 << 20)
        for _ in range(16):
            os.write(fd, struct.pack(">cI", b"B", 32 * 1024 * 1024))
            for _ in range(32):
                os.write(fd, chunk)
    """,
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_protocol_bombs_keep_the_trusted_process_small(name: str, tmp_path: Path) -> None:
    """`rnnlab grade` on a submission that writes to the protocol pipe stays under 200 MB RSS and exits 1."""
    body = textwrap.indent(textwrap.dedent(BOMBS[name]).strip(), " " * 8)
    attack = (f"import os, stat, struct\nfor fd in range(3, 64):\n    try:\n        st = os.fstat(fd)\n"
              f"    except OSError:\n        continue\n    if stat.S_ISFIFO(st.st_mode) and fd not in (0, 1, 2):\n"
              f"        try:\n{textwrap.indent(body, '    ')}\n        except OSError:\n            pass\n")
    submission = tmp_path / "bomb.py"
    submission.write_text(attack + MODEL)
    out = tmp_path / "report.json"
    env = {**os.environ, "RNNLAB_DATA_DIR": str(tmp_path / "data"), "RNNLAB_POOL_SIZE": "0"}
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "grade", "lstm-sequence-prediction", str(submission),
                                "--json", str(out)], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak_kb = 0
    while process.poll() is None:  # VmHWM: this process's own peak RSS (the sandboxes are other processes)
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
            peak_kb = max(peak_kb, int(status.split("VmHWM:")[1].split()[0]))
        except (OSError, IndexError):
            pass
        time.sleep(0.05)
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert process.returncode == 1, stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["status"] == "not_gradable", report["summary"]
    print(f"{name}: trusted process peak RSS {peak_kb / 1024:.0f} MB")
    assert 0 < peak_kb < 200 * 1024, f"the trusted process peaked at {peak_kb / 1024:.0f} MB"
