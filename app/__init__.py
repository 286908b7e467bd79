"""RNN Lab's web app and command line. Importing `graders` first pins NumPy's BLAS to one thread (see there)."""

import graders  # noqa: F401
