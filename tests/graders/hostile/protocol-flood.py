"""Hostile: flood the grader's private protocol pipe with big JSON lines. expect: status=not_gradable failure=output_limit"""
import os
import stat

avoid = {os.fstat(0).st_ino, os.fstat(2).st_ino}
for fd in range(3, 256):
    try:
        st = os.fstat(fd)
    except OSError:
        continue
    if stat.S_ISFIFO(st.st_mode) and st.st_ino not in avoid:
        line = b'{"event": "epoch", "pad": "' + b"x" * (1 << 20) + b'"}\n'
        for _ in range(2000):  # 2 GiB if nobody stops us
            os.write(fd, line)
