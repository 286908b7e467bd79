import numpy as np


def standardise(train, values):
    return (np.asarray(values) - np.mean(train)) / np.std(train)
