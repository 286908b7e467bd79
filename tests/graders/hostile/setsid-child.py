"""Hostile: a child in a new session that tries to outlive grading. expect: survivors=none"""
import os

pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:  # double fork: the grandchild is re-parented and in its own session
        os.execv("/usr/bin/sleep", ["sleep", "{{MARKER}}"])
    os._exit(0)
os.waitpid(pid, 0)
print("ATTACK setsid: child started", flush=True)
