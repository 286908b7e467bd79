"""Phase B's time with look-inside feedback on and off, per lesson, bare (graders/worker.py in this process).

Run: /opt/rnnlab/venv/bin/python bench/look_inside.py [--repeats N] [--code FILE] [lesson ...]
Each lesson's reference solution (or FILE) is built once by worker.build(); then worker.evaluate() runs the very
job grade() sends (graders/grading.py evaluate_job), alternately without and with "look_inside", --repeats times
each. Phase B trains, so its total varies by more than look-inside costs: the figure that answers "< 1 s" is
look-inside's own time, measured inside the worker around exactly the added work (wall and CPU seconds: phase B's
budget is CPU time, and on a busy machine wall time says more about the neighbours); "off"/"on" are the whole phase
for scale. The gradient's first/last tenth ratio is what the report's summary quotes. "twins" counts the recurrent
layers look-inside ran as their NumPy twins (graders/recurrence.py); 0 means Keras's own eager pass ran them. One TensorFlow thread, as in a sandbox with one CPU.
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

from graders import load_grading, prepare  # noqa: E402
from graders.answers import TrainAnswer, TrainingReport  # noqa: E402
from graders.batching import BatchPlan  # noqa: E402
from graders.grading import training_job  # noqa: E402
from graders.tasks import task_for  # noqa: E402

LESSONS = ["vanishing-gradients", "lstm-sequence-prediction", "gru-vs-lstm", "rnns-in-practice",
           "many-to-one-gestures", "stacked-and-bidirectional", "text-generation", "training-practice",
           "which-model-when", "variable-length-sentiment", "many-to-many-tagging", "seq2seq-dates"]


class Quiet:
    def send(self, blobs: Any = (), **message: Any) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("lessons", nargs="*", default=LESSONS)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--code", type=Path, help="grade this file instead of each lesson's solution.py")
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
        code = (args.code or folder / "solution.py").read_text()
        train_job = task.train_job(grading, prepared, code, 0)
        built = worker.build(train_job, Quiet(), keras, np)
        assert built["outcome"] == "ok", built
        trained = TrainAnswer(diverged=False, reported=TrainingReport.model_validate(built["reported"]),
                              model=built["model"])
        evaluation = task.evaluation(grading, prepared, trained)
        assert evaluation is not None
        plan = BatchPlan.build(evaluation)
        extra = {**evaluation.extra, **training_job(train_job, trained, grading.spec.limits),
                 "output_shape": task.output_shape(grading, prepared)}
        times: dict[bool, list[float]] = {False: [], True: []}
        inside: list[float] = []
        cpu: list[float] = []
        twins: list[int] = []
        for _ in range(args.repeats):
            for on in (False, True):
                job = plan.job(trained.model, {**extra, "look_inside": on})
                started = time.monotonic()
                answer = worker.evaluate(job, Quiet(), keras, np)
                times[on].append(time.monotonic() - started)
                worker.forget_job(keras)
                assert answer["outcome"] == "ok", answer
                if on:
                    found = answer.get("look_inside", {})
                    inside.append(found.get("seconds", float("nan")))
                    cpu.append(found.get("cpu_seconds", float("nan")))
                    twins.append(int(found.get("twins", 0)))
                    kinds = sorted(k for k in found if k in ("gradient", "hidden", "samples"))
                    norms = found.get("gradient", {}).get("norms")
                    edge = max(1, len(norms) // 10) if norms is not None else 0
                    ratio = float(norms[:edge].mean() / norms[-edge:].mean()) if edge else float("nan")
        med = statistics.median
        row = (f"{slug}: look-inside {med(inside):.3f} s wall, {med(cpu):.3f} s CPU inside phase B "
               f"({', '.join(kinds) or 'nothing'}; recurrent layers run as NumPy twins {twins}; "
               f"gradient first/last tenth {ratio:.3g}); every run: wall {[round(v, 3) for v in inside]}, "
               f"CPU {[round(v, 3) for v in cpu]}; "
               f"phase B off {med(times[False]):.2f} s, on {med(times[True]):.2f} s "
               f"(difference {med(times[True]) - med(times[False]):+.2f} s, training included)")
        print(row, flush=True)
        rows.append(row)
    print("\n".join(["", "summary:", *rows]))


if __name__ == "__main__":
    main()
