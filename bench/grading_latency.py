"""Grading latency: the same grading work bare (in-process, no sandbox) vs through the warm pool vs cold, interleaved.

Run: /opt/rnnlab/venv/bin/python bench/grading_latency.py [--repeats N] [--cold N]
The lesson is lstm-sequence-prediction's solution. Each repetition runs bare and warm back to back (so machine noise
hits both), cold only --cold times. The last line is
`warm_over_bare=X.XX train_warm_over_bare=Y.YY cold_over_bare=Z.ZZ` (medians). Goals (issue 11): warm <= 1.10,
train phase <= 1.05.

"bare" runs graders/worker.py's own build() and evaluate() on the very jobs grade() sent to the pool (recorded
from the warm run), in one plain Python process that imported TensorFlow once: the same computation, minus the
sandbox, the pipes and the pool. "train" is the time from phase B's train event to its predict event (the fit,
as the parent sees it, vs the fit in the bare process). "bare_minimal" is only build_model + fit + one predict
call, for scale: what the grade's integrity work (rebuild, isolated predict groups, probes) costs on top.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from graders import SandboxConfig, WorkerPool, grade, load_grading, prepare, protocol, wire  # noqa: E402  # noqa: E402
from graders.pool import Flavour  # noqa: E402
from graders.protocol import JobKind, PhaseEvent, Stage  # noqa: E402

LESSON = REPO / "lessons" / "lstm-sequence-prediction"
CPUS = 1

BARE_RUNNER = r'''
import json, os, sys, tempfile, time
sys.path.insert(0, sys.argv[1])
os.environ["KERAS_BACKEND"] = "tensorflow"
import numpy as np
import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(int(sys.argv[2]))
tf.config.threading.set_inter_op_parallelism_threads(int(sys.argv[2]))
import keras
import protocol, worker
from wire import unpack
workdir = tempfile.mkdtemp()
worker.SUBMISSION, worker.MODEL_PATH = os.path.join(workdir, "submission.py"), os.path.join(workdir, "model.keras")
worker.warm_up(keras, np, fit=True)

class Clock:
    def __init__(self): self.marks = {}
    def send(self, blobs=(), **message):
        if message.get("event") == "phase": self.marks.setdefault(message["phase"], time.monotonic())

out = sys.stdout
sys.stdout = sys.stderr
while True:
    message = protocol.read_message(sys.stdin.buffer, protocol.TRUSTED_INPUT)
    if message is None:
        break
    jobs = unpack(message.body["job"], message.blobs)
    clock = Clock()
    started, cpu_started = time.monotonic(), time.process_time()
    built = worker.build(jobs["train"], clock, keras, np)
    evaluated = worker.evaluate({**jobs["evaluate"], "model": built["model"]}, clock, keras, np)
    total, cpu = time.monotonic() - started, time.process_time() - cpu_started
    assert evaluated["outcome"] == "ok", evaluated
    train = clock.marks["predict"] - clock.marks["train"]
    # bare_minimal: build_model + fit + one predict call, no rebuild, no isolated groups, no probes
    module = worker.load_submission(jobs["train"]["code"])
    constants = worker.read_constants(module, jobs["train"]["constants"])
    keras.utils.set_random_seed(0)
    t0 = time.monotonic()
    model = module.build_model(*worker.resolve(jobs["train"]["build_args"], constants))
    x, y, xv, yv = worker.training_arrays(jobs["evaluate"]["training"]["data"], constants, np)
    model.fit(x, y, validation_data=(xv, yv), epochs=constants["EPOCHS"], batch_size=constants["BATCH_SIZE"], verbose=0)
    model.predict(jobs["evaluate"]["rows"], verbose=0, batch_size=256)
    minimal = time.monotonic() - t0
    keras.backend.clear_session()
    out.write(json.dumps({"total": total, "train": train, "minimal": minimal, "cpu": cpu}) + "\n")
    out.flush()
'''


class Recorder:
    """Wraps a pool: records the jobs grade() hands to it (to replay them bare) and when phase B's stages start."""

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self.jobs: dict[str, dict[str, Any]] = {}
        self.marks: dict[str, float] = {}

    @property
    def closed(self) -> bool:
        return self.pool.closed

    def acquire(self, kind: JobKind) -> Any:
        worker = self.pool.acquire(kind)
        recorder = self

        class Recorded:
            def run(self, job: dict[str, Any], limits: Any, on_event: Any = None) -> Any:
                recorder.jobs[job["kind"]] = job

                def emit(event: Any) -> None:
                    if isinstance(event, PhaseEvent) and event.stage in (Stage.train, Stage.predict):
                        recorder.marks.setdefault(event.stage.value, time.monotonic())
                    if on_event is not None:
                        on_event(event)
                return worker.run(job, limits, emit)
        return Recorded()


def throttled_s(pool: WorkerPool) -> float | None:
    """CPU-quota throttling of the idle evaluator's cgroup so far (cpu.stat), or None where it is not counted."""
    idle = pool._shelves[Flavour.evaluator]._idle
    cgroup = idle[0].process.cgroup if idle else None
    if cgroup is None:
        return None
    for folder in cgroup.dirs:
        stat = folder / "cpu.stat"
        if stat.exists():
            fields = dict(line.split() for line in stat.read_text().splitlines())
            if "throttled_usec" in fields:
                return int(fields["throttled_usec"]) / 1e6
            if "throttled_time" in fields:
                return int(fields["throttled_time"]) / 1e9
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cold", type=int, default=2)
    args = parser.parse_args()
    grading = load_grading(LESSON)
    prepared = prepare(grading)
    code = (LESSON / "solution.py").read_text()
    pool = WorkerPool(SandboxConfig(python=sys.executable, cpus=CPUS), size=1)
    pool.start()
    runner = subprocess.Popen([sys.executable, "-c", BARE_RUNNER, str(REPO / "graders"), str(CPUS)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              cwd=tempfile.gettempdir())
    assert runner.stdin is not None and runner.stdout is not None
    warm_total, warm_train, bare_total, bare_train, bare_minimal, cold_total = [], [], [], [], [], []
    try:
        for rep in range(args.repeats):
            while not pool.ready_for_grading():
                time.sleep(0.2)  # a warm pool is warm: measure submit -> score, not the TF import
            recorder = Recorder(pool)
            evaluator = pool._shelves[Flavour.evaluator]._idle[0]
            cpu_before = evaluator.process.cpu_seconds()
            started = time.monotonic()
            report = grade(grading, code, recorder, prepared=prepared)  # type: ignore[arg-type]
            warm_total.append(time.monotonic() - started)
            assert report.status.value == "passed", report.summary
            warm_train.append(recorder.marks["predict"] - recorder.marks["train"])
            throttled = throttled_s(pool)
            cpu_after = evaluator.process.cpu_seconds()
            warm_cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
            jobs = {"train": recorder.jobs["train"], "evaluate": {k: v for k, v in recorder.jobs["evaluate"].items()
                                                                  if k != "model"}}
            tree, blobs = wire.pack(jobs)
            protocol.write_message(runner.stdin, {"job": tree}, blobs)  # type: ignore[arg-type]
            runner.stdin.flush()
            line = runner.stdout.readline()
            if not line:
                raise SystemExit("the bare runner died")
            bare = json.loads(line)
            bare_total.append(bare["total"])
            bare_train.append(bare["train"])
            bare_minimal.append(bare["minimal"])
            cpu_text = "n/a" if warm_cpu is None else f"{warm_cpu:.2f}"
            print(f"  rep {rep + 1}: warm {warm_total[-1]:.2f} s (train {warm_train[-1]:.2f}, phase B CPU {cpu_text}) | "
                  f"bare {bare['total']:.2f} s (train {bare['train']:.2f}, CPU {bare['cpu']:.2f}) | bare_minimal {bare['minimal']:.2f} s | evaluator cgroup throttled "
                  f"so far: {'n/a' if throttled is None else f'{throttled:.2f} s'} | phases {report.timings}", flush=True)
    finally:
        pool.close()
        runner.stdin.close()
        runner.wait(timeout=60)
    if args.cold:
        cold = WorkerPool(SandboxConfig(python=sys.executable, cpus=CPUS), size=0)
        cold.start()
        try:
            for _ in range(args.cold):
                started = time.monotonic()
                report = grade(grading, code, cold, prepared=prepared)
                cold_total.append(time.monotonic() - started)
                print(f"  cold: {cold_total[-1]:.2f} s  phases {report.timings}", flush=True)
        finally:
            cold.close()
    med = statistics.median
    print(f"median seconds: bare={med(bare_total):.2f} warm={med(warm_total):.2f} "
          f"cold={med(cold_total) if cold_total else float('nan'):.2f} bare_minimal={med(bare_minimal):.2f}; "
          f"train phase: bare={med(bare_train):.2f} warm={med(warm_train):.2f}")
    ratios = [w / b for w, b in zip(warm_total, bare_total, strict=True)]
    print("per-repetition warm/bare: " + " ".join(f"{r:.2f}" for r in ratios))
    print(f"warm_over_bare={med(warm_total) / med(bare_total):.2f} "
          f"train_warm_over_bare={med(warm_train) / med(bare_train):.2f} "
          f"cold_over_bare={(med(cold_total) / med(bare_total)) if cold_total else float('nan'):.2f} "
          f"bare_over_minimal={med(bare_total) / med(bare_minimal):.2f}")


if __name__ == "__main__":
    main()
