"""Golden: allocates (and touches) 8 GiB. expect: status=not_gradable failure=out_of_memory limits=memory message=Out of memory"""

import numpy as np

WINDOW = 24
EPOCHS = 2
BATCH_SIZE = 32


def build_model(window, n_features):
    hog = np.ones(8 * 1024**3, dtype=np.uint8)
    return hog
