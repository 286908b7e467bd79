"""The trusted process never hangs in NumPy while a sandbox is being started.

OpenBLAS's fork handler tears its thread pool down under a running call, which then spins forever; the pool forks
bubblewrap from a helper thread while the scorer does linear algebra on the main thread. `graders` pins BLAS to
one thread before NumPy loads, and a pool refuses to start when NumPy was loaded with more threads before it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

RACE = textwrap.dedent("""
    import subprocess, threading, time
    {first}
    import numpy as np
    from graders.sandbox import _spawner
    stop = threading.Event()

    def fork_forever():
        while not stop.is_set():  # the pool's own spawner thread, forking with a preexec_fn as the sandbox does
            _spawner.call(lambda: subprocess.run(["/bin/true"], preexec_fn=lambda: None))

    threading.Thread(target=fork_forever, daemon=True).start()
    gram = np.random.default_rng(0).random((1336, 25))
    end, calls = time.monotonic() + 4, 0
    while time.monotonic() < end:
        gram.T @ gram  # the least-squares baseline's Gram matrix
        calls += 1
    stop.set()
    print(calls)
""")


def run(first: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin"}  # no OPENBLAS_NUM_THREADS from the caller: graders must set it itself
    return subprocess.run([sys.executable, "-c", RACE.format(first=first)], capture_output=True, text=True,
                          env=env, timeout=30)


def test_scoring_while_sandboxes_start_never_hangs() -> None:
    done = run("import graders")
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 100  # it really multiplied, thousands of times, while forking


def test_a_pool_refuses_to_start_when_numpy_came_first_with_blas_threads() -> None:
    code = textwrap.dedent("""
        import numpy
        from graders import SandboxConfig, SandboxUnavailable, WorkerPool
        pool = WorkerPool(SandboxConfig(mode="unconfined"), size=1)
        try:
            pool.start()
        except SandboxUnavailable as exc:
            print(exc)
        else:
            pool.close()
            print("started")
    """)
    env = {"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "2"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=30)
    assert "OPENBLAS_NUM_THREADS=1" in done.stdout, done.stdout + done.stderr
