"""Hostile: look for the server's secrets in every environment we can read. expect: blocked=environ,proc-environ"""
import os


def own():
    hits = [k for k, v in os.environ.items() if "{{SECRET}}" in v]
    if hits:
        return hits
    raise LookupError(f"no secret in {sorted(os.environ)}")


def others():
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            for name in ("environ", "cmdline"):
                try:
                    with open(f"/proc/{pid}/{name}", "rb") as fh:
                        if b"{{SECRET}}" in fh.read():
                            return f"/proc/{pid}/{name}"
                except OSError:
                    pass
    raise LookupError("no secret in /proc/*/environ")


attempt("environ", own)
attempt("proc-environ", others)
