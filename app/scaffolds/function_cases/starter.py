import numpy as np


def standardise(train: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Scale `values` with the mean and standard deviation of `train` (never of `values`)."""
    raise NotImplementedError("compute the training mean and std, then scale values")
