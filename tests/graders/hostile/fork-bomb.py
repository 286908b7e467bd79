"""Hostile: fork until something stops us. expect: blocked=fork-bomb"""
import os
import signal

children = []


def bomb():
    try:
        while len(children) < 5000:
            pid = os.fork()
            if pid == 0:
                signal.pause()
                os._exit(0)
            children.append(pid)
    finally:
        for pid in children:  # clean up so the rest of grading can run
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    return f"{len(children)} processes"


attempt("fork-bomb", bomb)
print(f"forked {len(children)} before the limit", flush=True)
