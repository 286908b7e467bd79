"""Hostile: fill the disk and write outside the sandbox. expect: blocked=fill-tmp,write-usr,write-root,write-etc,write-dev"""
import os


def fill():
    chunk = b"\0" * (1 << 20)
    with open("/tmp/fill", "wb") as fh:
        for _ in range(4096):  # 4 GiB
            fh.write(chunk)
            fh.flush()
    return "4 GiB written"


attempt("fill-tmp", fill)
if os.path.exists("/tmp/fill"):
    os.remove("/tmp/fill")
attempt("write-usr", lambda: open("/usr/pwned", "w").write("x"))
attempt("write-root", lambda: open("/pwned", "w").write("x"))
attempt("write-etc", lambda: open("/etc/pwned", "w").write("x"))
attempt("write-dev", lambda: open("/dev/fill", "w").write("x"))
