"""Look-inside's gradient pass with and without the NumPy twins of recurrent layers (graders/recurrence.py), per
lesson, beside phase B's integrity probes (which never run the twins).

Run: /opt/rnnlab/venv/bin/python bench/twins.py [--repeats N] [lesson ...]
Each lesson's reference solution is built by worker.build() (phase A's archive), loaded as phase B loads it and
trained by phase B's own fit() for two epochs (the timing of these passes does not depend on how well it learnt);
then, alternately, side by side in one process:
- look-inside's gradient pass (`gradients_and_states` on 32 rows) with twins (plus the check against Keras's
  compiled prediction that look_inside() makes) and without (Keras's own eager pass);
- `mark_influence`, the integrity probes (does each recurrent, dropout or L2 layer take part in the prediction), on
  64 public validation rows with targets, as phase B runs them after training: Keras's own graph only (one trace
  and compiled calls, worker.LayerProbes; a graded fact is never computed by a twin), measured here for scale.
CPU seconds of this process (phase B's budget is CPU time); every repetition is printed, then the medians and the
ratio without/with. One TensorFlow thread, as in a sandbox with one CPU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "graders"))
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from graders import load_grading, prepare  # noqa: E402
from graders.answers import TrainAnswer, TrainingReport  # noqa: E402
from graders.grading import training_job  # noqa: E402
from graders.tasks import task_for  # noqa: E402

LESSONS = ["vanishing-gradients", "lstm-sequence-prediction", "gru-vs-lstm", "rnns-in-practice",
           "many-to-one-gestures", "stacked-and-bidirectional", "text-generation", "training-practice",
           "variable-length-sentiment", "many-to-many-tagging", "seq2seq-dates"]


class Quiet:
    def send(self, blobs: Any = (), **message: Any) -> None:
        pass


def cpu(run: Any) -> tuple[float, Any]:
    started = time.process_time()
    result = run()
    return time.process_time() - started, result


def measure(model: Any, probe: Any, targets: Any, repeats: int, keras: Any, np: Any,
            worker: Any) -> dict[str, list[float]]:
    """CPU seconds of each pass, `repeats` times alternately."""
    layer = worker.first_recurrent(model)
    few = [p[:32] for p in probe] if isinstance(probe, list) else probe[:32]
    times: dict[str, list[float]] = {"influence": [], "gradient_twins": [], "gradient_keras": []}
    for _ in range(repeats):
        spent, _ = cpu(lambda: worker.mark_influence(model, probe, np, targets, keras))
        times["influence"].append(spent)
        if layer is not None:
            spent, _ = cpu(lambda: worker.same_prediction(
                worker.gradients_and_states(model, layer, few, targets[:32], np, keras).predicted,
                keras.tree.map_structure(lambda out: out[:32], model.predict_on_batch(probe)), np))
            times["gradient_twins"].append(spent)
            spent, _ = cpu(lambda: worker.gradients_and_states(model, layer, few, targets[:32], np))
            times["gradient_keras"].append(spent)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("lessons", nargs="*", default=LESSONS)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras
    import worker  # graders/worker.py, as the sandbox runs it

    workdir = tempfile.mkdtemp()
    worker.SUBMISSION, worker.MODEL_PATH = os.path.join(workdir, "submission.py"), os.path.join(workdir, "model.keras")
    worker.warm_up(keras, np, fit=True)
    rows = []
    for slug in args.lessons:
        folder = REPO / "lessons" / slug
        grading = load_grading(folder)
        task = task_for(grading.spec.task)
        prepared = prepare(grading)
        train_job = task.train_job(grading, prepared, (folder / "solution.py").read_text(), 0)
        built = worker.build(train_job, Quiet(), keras, np)
        assert built["outcome"] == "ok", built
        trained = TrainAnswer(diverged=False, reported=TrainingReport.model_validate(built["reported"]),
                              model=built["model"])
        phase_b = training_job(train_job, trained, grading.spec.limits)
        with open(worker.MODEL_PATH, "wb") as fh:
            fh.write(built["model"].tobytes())
        model = keras.saving.load_model(worker.MODEL_PATH, compile=True, safe_mode=True)
        model = worker.fresh_model(model, 0, keras)
        constants = {**phase_b["constants"], "EPOCHS": 2}
        _, _, x_val, y_val = worker.fit(model, phase_b["training"], constants, Quiet(), keras, np)

        def head(v: Any, n: int) -> Any:
            return [p[:n] for p in v] if isinstance(v, list) else v[:n]

        probe, targets = head(x_val, 64), y_val[:64]
        model.predict_on_batch(probe)  # phase B has traced this shape before its probes
        times = measure(model, probe, targets, args.repeats, keras, np, worker)
        med = {key: statistics.median(values) if values else float("nan") for key, values in times.items()}
        row = (f"{slug}: look-inside gradient pass CPU {med['gradient_keras']:.3f} s Keras / "
               f"{med['gradient_twins']:.3f} s twins "
               f"(x{med['gradient_keras'] / max(med['gradient_twins'], 1e-9):.1f}); mark_influence (Keras only) "
               f"{med['influence']:.3f} s; every run: "
               + ", ".join(f"{key} {[round(v, 3) for v in values]}" for key, values in times.items()))
        print(row, flush=True)
        rows.append(row)
        worker.forget_job(keras)
    print("\n".join(["", "summary:", *rows]))


if __name__ == "__main__":
    main()
