import numpy as np


def make_cases(rng):
    cases = []
    for n in (5, 17):
        train = rng.normal(3.0, 2.0, n)
        test = rng.normal(50.0, 1.0, 4)
        cases.append({"check": "values", "title": "Standardises with training statistics", "function": "standardise",
                      "args": [train, test], "hint": "Use the mean and std of the training part only."})
    cases.append({"check": "shapes", "title": "Keeps the shape", "function": "standardise",
                  "args": [np.arange(6.0), np.ones((2, 3))], "compare": "shape",
                  "hint": "Return an array shaped like `values`."})
    return cases
