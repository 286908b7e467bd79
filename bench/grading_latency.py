"""Grading latency: bare in-process train+predict vs grade() through the warm pool vs a cold one-shot sandbox.

Run: /opt/rnnlab/venv/bin/python bench/grading_latency.py [--repeats N]
The last line is `warm_over_bare=X.XX cold_over_bare=Y.YY`. Goal: warm <= 1.10.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from graders import SandboxConfig, WorkerPool, grade, load_grading  # noqa: E402
from graders.tasks import sequence_prediction as task  # noqa: E402
from graders.windowing import make_windows  # noqa: E402

LESSON = REPO / "lessons" / "lstm-sequence-prediction"
CPUS = 1


def time_pool(size: int, repeats: int) -> list[float]:
    grading = load_grading(LESSON)
    code = (LESSON / "solution.py").read_text()
    pool = WorkerPool(SandboxConfig(python=sys.executable, cpus=CPUS), size=size)
    pool.start()
    times = []
    try:
        for _ in range(repeats):
            deadline = time.monotonic() + 120
            while size and pool.idle_count() < size and time.monotonic() < deadline:
                time.sleep(0.2)  # a warm pool is warm: measure submit -> score, not the TF import
            started = time.monotonic()
            report = grade(grading, code, pool)
            times.append(time.monotonic() - started)
            assert report.status.value == "passed", report.summary
            print(f"  pool size {size}: {times[-1]:.2f} s  phases {report.timings}", flush=True)
    finally:
        pool.close()
    return times


def time_bare(repeats: int) -> list[float]:
    """The same work with no sandbox, no pipes, no save/load: import once, then train + predict."""
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(CPUS)
    tf.config.threading.set_inter_op_parallelism_threads(CPUS)
    grading = load_grading(LESSON)
    split = task.split_series(grading)
    spec = importlib.util.spec_from_file_location("solution", LESSON / "solution.py")
    assert spec and spec.loader
    solution = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(solution)
    window = solution.WINDOW
    times = []
    for _ in range(repeats):
        started = time.monotonic()
        keras.utils.set_random_seed(0)
        model = solution.build_model(window, 1)
        x, y = make_windows(split.scaled[: split.validation_start], window)
        xv, yv = make_windows(split.scaled[split.validation_start - window: split.heldout_start], window)
        model.fit(x, y, validation_data=(xv, yv), epochs=solution.EPOCHS, batch_size=solution.BATCH_SIZE, verbose=0)
        for inputs in task.evaluate_inputs(grading, split, window).values():
            model.predict(inputs, verbose=0, batch_size=256)
        times.append(time.monotonic() - started)
        print(f"  bare: {times[-1]:.2f} s", flush=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print("warm pool (2 workers ready):")
    warm = statistics.median(time_pool(2, args.repeats))
    print("cold (pool size 0: each phase starts a sandbox and imports TF):")
    cold = statistics.median(time_pool(0, args.repeats))
    print("bare in-process:")
    bare = statistics.median(time_bare(args.repeats))
    print(f"median seconds: bare={bare:.2f} warm={warm:.2f} cold={cold:.2f}")
    print(f"warm_over_bare={warm / bare:.2f} cold_over_bare={cold / bare:.2f}")


if __name__ == "__main__":
    main()
