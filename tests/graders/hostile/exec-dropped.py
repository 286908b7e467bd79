"""Hostile: drop a program into /tmp and run it, or run any program at all. expect: blocked=script,elf,system,fork-exec"""
import os
import shutil
import subprocess

with open("/tmp/dropped.sh", "w") as fh:
    fh.write("#!/bin/sh\necho dropped ran\n")
os.chmod("/tmp/dropped.sh", 0o755)
attempt("script", lambda: subprocess.run(["/tmp/dropped.sh"], capture_output=True, text=True).stdout)
shutil.copy("/usr/bin/true", "/tmp/dropped-elf")
os.chmod("/tmp/dropped-elf", 0o755)
attempt("elf", lambda: subprocess.run(["/tmp/dropped-elf"]).returncode)
attempt("system", lambda: subprocess.run(["/usr/bin/id"], capture_output=True, text=True).stdout)


def fork_exec():
    pid = os.fork()
    if pid == 0:
        try:
            os.execv("/tmp/dropped-elf", ["x"])
        finally:
            os._exit(13)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) == 13:
        raise PermissionError(13, "execv refused in the child")
    return status


attempt("fork-exec", fork_exec)
