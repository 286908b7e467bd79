"""Golden: blocks without using CPU. expect: status=not_gradable failure=wall_time limits=wall message=wall-clock"""

import time

WINDOW = 24
EPOCHS = 2
BATCH_SIZE = 32


def build_model(window, n_features):
    time.sleep(10_000)
