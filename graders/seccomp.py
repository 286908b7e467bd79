"""The seccomp filter handed to bwrap: AF_UNIX sockets only; no ptrace, cross-process access, keyctl, mount,
unshare, io_uring or TIOCSTI. (The worker adds a second filter once it is ready: no execve at all.)"""

from __future__ import annotations

import errno
import os
import socket
from functools import lru_cache

# Syscalls a learner never needs and that widen the kernel attack surface or escape the namespaces.
# Cross-process access (pidfd_getfd steals a descriptor, kcmp compares kernel objects, process_* reach into
# another address space) is denied even though the sandbox holds one process tree of one uid.
DENIED_SYSCALLS = (
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "process_mrelease", "pidfd_getfd",
    "kcmp", "perf_event_open", "bpf", "userfaultfd",
    "keyctl", "add_key", "request_key", "unshare", "setns", "mount", "umount2", "pivot_root",
    "move_mount", "open_tree", "fsopen", "fsmount", "fsconfig", "fspick", "mount_setattr",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "kexec_load", "kexec_file_load",
    "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff", "acct",
    "quotactl", "name_to_handle_at", "open_by_handle_at", "personality", "syslog",
)
# CLONE_NEWUSER, NEWNS, NEWPID, NEWUTS, NEWIPC, NEWNET, NEWCGROUP: one rule each (any one set is refused).
CLONE_NAMESPACE_FLAGS = (0x10000000, 0x00020000, 0x20000000, 0x04000000, 0x08000000, 0x40000000, 0x02000000)
TIOCSTI = 0x5412


class SeccompUnavailable(RuntimeError):
    """libseccomp (or its Python binding) is missing."""


# Name of the second program inside the sandbox's harness folder (see exec_ban_program).
EXEC_BAN_FILE = "exec-ban.bpf"


def _binding():  # type: ignore[no-untyped-def]
    try:
        import pyseccomp as sc
    except (ImportError, OSError, RuntimeError) as exc:  # OSError/RuntimeError: libseccomp.so.2 missing
        raise SeccompUnavailable(f"cannot load libseccomp: {exc} (apt-get install libseccomp2; pip install pyseccomp)") from exc
    return sc


def _export(flt) -> bytes:  # type: ignore[no-untyped-def]
    fd = os.memfd_create("rnnlab-seccomp")
    try:
        with os.fdopen(os.dup(fd), "wb") as out:
            flt.export_bpf(out)
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 1 << 20)
    finally:
        os.close(fd)


@lru_cache(maxsize=1)
def seccomp_program() -> bytes:
    """Compile the filter once per process; bwrap loads the BPF program from a file descriptor."""
    sc = _binding()
    flt = sc.SyscallFilter(defaction=sc.ALLOW)
    # Network namespaces leave AF_VSOCK and friends reachable, so allow-list the family instead.
    for call in ("socket", "socketpair"):
        flt.add_rule(sc.ERRNO(errno.EAFNOSUPPORT), call, sc.Arg(0, sc.NE, socket.AF_UNIX))
    for call in DENIED_SYSCALLS:
        try:
            flt.add_rule(sc.ERRNO(errno.EPERM), call)
        except (RuntimeError, ValueError, OSError):  # a syscall this architecture does not have
            continue
    # glibc falls back to clone() when clone3 says ENOSYS; clone() flags can then be inspected.
    flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    for flag in CLONE_NAMESPACE_FLAGS:
        flt.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    flt.add_rule(sc.ERRNO(errno.EPERM), "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, TIOCSTI))
    return _export(flt)


@lru_cache(maxsize=1)
def exec_ban_program() -> bytes:
    """The second filter, stacked by the worker itself once TensorFlow is imported: execve/execveat fail (EACCES).

    Compiled here, on the trusted side, because the sandbox cannot find libseccomp (no ldconfig inside); the
    worker loads the raw BPF with prctl. It plays the part of a noexec /tmp (bwrap 0.8 cannot mount its tmpfs
    noexec and its nested user namespace forbids a remount) and more: nothing at all can be started.
    """
    sc = _binding()
    flt = sc.SyscallFilter(defaction=sc.ALLOW)
    for call in ("execve", "execveat"):
        flt.add_rule(sc.ERRNO(errno.EACCES), call)
    return _export(flt)


def program_fd(program: bytes) -> int:
    """A fresh, rewound, inheritable descriptor holding a BPF program (bwrap consumes it)."""
    fd = os.memfd_create("rnnlab-seccomp")
    os.write(fd, program)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def seccomp_fd() -> int:
    """A fresh, rewound, inheritable descriptor holding the main filter."""
    return program_fd(seccomp_program())
