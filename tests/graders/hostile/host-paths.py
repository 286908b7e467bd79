"""Hostile: learn where the server keeps things. expect: blocked=mountinfo,pid1-cmdline,environ,cwd"""
import os

# The checkout, the harness folder and the data folder are where they are on the host, not here.
HOST = ("{{REPO}}", "rnnlab-harness", "{{DATA_DIR}}", "/root/", "/work/")


def leak(path):
    with open(path, "rb") as fh:
        text = fh.read().replace(b"\0", b" ").decode(errors="replace")
    found = [h for h in HOST if h in text]
    if found:
        at = text.find(found[0])
        return f"{path}: {found} {text[max(0, at - 80):at + 80]!r}"
    raise PermissionError(1, "no host path")


attempt("mountinfo", lambda: leak("/proc/self/mountinfo"))
attempt("pid1-cmdline", lambda: leak("/proc/1/cmdline"))
attempt("environ", lambda: leak("/proc/1/environ"))


def cwd():
    here = os.getcwd() + " " + " ".join(os.listdir("/harness"))
    if any(h in here for h in HOST):
        return here
    raise PermissionError(1, "no host path")


attempt("cwd", cwd)
