"""Hostile: read secrets, the repository and held-out data. expect: blocked=shadow,root,series,solution,heldout,walk"""
import os

attempt("shadow", lambda: open("/etc/shadow").read())
attempt("root", lambda: os.listdir("/root"))
attempt("series", lambda: open("{{REPO}}/lessons/lstm-sequence-prediction/data/series.csv").read())
attempt("solution", lambda: open("{{REPO}}/lessons/lstm-sequence-prediction/solution.py").read())
attempt("heldout", lambda: open("{{HELDOUT}}").read())


def walk():
    for top in ("/",):
        for dirpath, _dirs, files in os.walk(top):
            if dirpath.startswith("/proc"):
                continue
            for name in files:
                if name in ("series.csv", "solution.py", "grading.toml", "{{HELDOUT_NAME}}"):
                    return os.path.join(dirpath, name)
    raise FileNotFoundError(2, "nothing found")


attempt("walk", walk)
