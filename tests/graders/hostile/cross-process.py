"""Hostile: reach into another process of the sandbox. expect: eperm=pidfd_getfd,kcmp,process_vm_readv,process_vm_writev,process_madvise,ptrace alone=pid1"""
import ctypes
import os
import signal
import time

libc = ctypes.CDLL(None, use_errno=True)
NR = {"pidfd_getfd": 438, "kcmp": 312, "process_vm_readv": 310, "process_vm_writev": 311, "process_madvise": 440,
      "ptrace": 101}


def syscall(name, *args):
    result = libc.syscall(NR[name], *[ctypes.c_long(a) for a in args])
    if result == -1:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


child = os.fork()
if child == 0:
    time.sleep(30)
    os._exit(0)
pidfd = os.pidfd_open(child)
attempt("pidfd_getfd", lambda: syscall("pidfd_getfd", pidfd, 0, 0))  # steal the child's stdin
attempt("kcmp", lambda: syscall("kcmp", os.getpid(), child, 0, 0, 0))  # KCMP_FILE
attempt("process_vm_readv", lambda: syscall("process_vm_readv", child, 0, 0, 0, 0, 0))
attempt("process_vm_writev", lambda: syscall("process_vm_writev", child, 0, 0, 0, 0, 0))
attempt("process_madvise", lambda: syscall("process_madvise", pidfd, 0, 0, 20, 0))  # MADV_COLD
attempt("ptrace", lambda: syscall("ptrace", 16, child, 0, 0))  # PTRACE_ATTACH
os.kill(child, signal.SIGKILL)
os.waitpid(child, 0)


def someone_else():
    """pid 1 must be this very process (no bwrap reaper to write into through /proc/1/mem), and nobody else here."""
    others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
    if os.getpid() != 1 or others:
        return f"pid {os.getpid()}, others {others}"
    raise PermissionError(1, "pid 1 is this process")


print("ATTACK pid1:", "alone" if attempt("pid1-other", someone_else) is None else "not alone", flush=True)
