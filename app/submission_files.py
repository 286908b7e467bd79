"""Submission files for `rnnlab grade`: listed without following links, read only when regular, UTF-8 and small.

They live in folders learners control, and `rnnlab grade` often runs as root, so every file is hostile input.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from graders import Check, Failure, GradeReport

# Submission files live in folders learners control, and `rnnlab grade` often runs as root: a file is read
# only if it is a regular file, opened without following a link, and no bigger than the web app accepts.
OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
SYMLINK = ("This submission is a symbolic link, not a file. Links are never followed (they can point at files "
           "that are not yours): submit the file itself.")
FILE_KINDS = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a named pipe (FIFO)", stat.S_IFCHR: "a character device",
              stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket"}
SIZE_UNITS = (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10))


@dataclass(frozen=True)
class Submission:
    """A file to grade as the listing found it: its path, its inode then, or why it cannot be graded."""

    path: Path
    identity: tuple[int, int] | None = None  # (st_dev, st_ino) when listed: a file swapped in later is refused
    problem: str | None = None


class Refused(Exception):
    """A submission file that is not read; the message tells the learner what to submit instead."""


def _walk(folder: Path) -> Iterator[Submission]:
    """The .py entries under `folder`, never descending through a link; links and odd files are listed to be refused."""
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as listing:
                entries = list(listing)
        except OSError as exc:
            yield Submission(current, problem=f"This folder could not be listed ({exc.strerror}), so the "
                                              "submissions in it were not graded.")
            continue
        for entry in entries:
            path = Path(entry.path)
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:  # gone since the listing
                continue
            if stat.S_ISDIR(info.st_mode):
                pending.append(path)
            # A link to a folder may hide submissions: list it so its report says it was not followed.
            if entry.name.endswith(".py") or (stat.S_ISLNK(info.st_mode) and os.path.isdir(path)):
                yield Submission(path, (info.st_dev, info.st_ino))


def collect_submissions(paths: list[str]) -> list[Submission]:
    """Files as given; folders expand to the .py entries inside them (sorted, recursively, never through a link).

    The folders named on the command line are the instructor's and are followed; below them, a link, a FIFO, a
    device or a folder named like a submission is listed, so that its report says why it was not graded.
    """
    found: list[Submission] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(_walk(path), key=lambda item: item.path)
        elif os.path.lexists(path):
            info = os.lstat(path)
            found.append(Submission(path, (info.st_dev, info.st_ino)))
        else:
            raise FileNotFoundError(raw)
    return found


def _size(n: int, exact: bool = False) -> str:
    for unit, scale in SIZE_UNITS:
        if n >= scale:
            return f"{n // scale} {unit}" if exact and n % scale == 0 else f"{n / scale:.1f} {unit}"
    return f"{n:,} bytes"


def _too_large(size: int, limit: int, at_least: bool = False) -> str:
    got, cap = (f"{size:,} bytes", f"{limit:,} bytes") if size < 2 * limit else (_size(size), _size(limit, True))
    return (f"Your submission is {'at least ' if at_least else ''}{got}; the limit is {cap}. Remove unused code, "
            "large literals and pasted data, then submit again.")


def _refuse_kind(mode: int) -> None:
    if stat.S_ISLNK(mode):
        raise Refused(SYMLINK)
    if not stat.S_ISREG(mode):
        kind = FILE_KINDS.get(stat.S_IFMT(mode), "a special file")
        raise Refused(f"This submission is {kind}, not a regular file. Submit your code as one ordinary .py file.")


def _read_open(fd: int, item: Submission, limit: int) -> bytes:
    info = os.fstat(fd)
    _refuse_kind(info.st_mode)  # what was opened: the entry may have been swapped since lstat()
    if item.identity is not None and (info.st_dev, info.st_ino) != item.identity:
        raise Refused("This submission was replaced while the batch was being graded. Grade it again once "
                      "the folder stops changing.")
    if info.st_size > limit:
        raise Refused(_too_large(info.st_size, limit))
    chunks: list[bytes] = []
    remaining = limit + 1  # one byte more than allowed tells "too large" from "exactly the limit"
    while remaining > 0 and (chunk := os.read(fd, min(remaining, 1 << 16))):
        chunks.append(chunk)
        remaining -= len(chunk)
    data = b"".join(chunks)
    if len(data) > limit:  # it grew after fstat(), or its size lies (/proc-like files say 0)
        raise Refused(_too_large(max(len(data), os.fstat(fd).st_size), limit, at_least=True))
    return data


def read_submission(item: Submission, limit: int) -> str:
    """The code of one submission file, or Refused with a message that teaches. Never reads more than limit + 1 bytes."""
    if item.problem is not None:
        raise Refused(item.problem)
    try:
        _refuse_kind(os.lstat(item.path).st_mode)  # before open(): opening a device can have side effects
        fd = os.open(item.path, OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # O_NOFOLLOW met a link that appeared after lstat()
            raise Refused(SYMLINK) from None
        raise Refused(f"This submission could not be opened ({exc.strerror}). Submit an ordinary, readable "
                      ".py file.") from None
    try:
        data = _read_open(fd, item, limit)
    except OSError as exc:
        raise Refused(f"This submission could not be read ({exc.strerror}). Submit an ordinary .py file.") from None
    finally:
        os.close(fd)
    try:
        return data.decode("utf-8").removeprefix("\ufeff")  # like the web app: UTF-8, a BOM tolerated
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise Refused(f"This submission is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line} cannot be "
                      "decoded). Save the file as UTF-8 (most editors offer it under Save As, Encoding) and "
                      "submit again.") from None


def refused_report(message: str) -> GradeReport:
    check = Check(id="submission_file", title="Submission is a regular UTF-8 file within the size limit",
                  passed=False, message=message)
    return GradeReport.not_gradable(Failure.unreadable_file, message, checks=[check])
