"""Hostile: a child in a new session that tries to outlive grading. expect: survivors=none"""
import os
import time

pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:  # double fork: the grandchild is re-parented and in its own session
        # No program can be exec'd in the sandbox, so the grandchild names itself for the test's pgrep.
        with open("/proc/self/comm", "w") as comm:
            comm.write("{{MARKER}}")
        while True:
            time.sleep(60)
    os._exit(0)
os.waitpid(pid, 0)
print("ATTACK setsid: child started", flush=True)
