"""The simple models a learner's network must beat, fit on the training part only. Trusted side, NumPy only.

Each function returns predictions for the rows the learner's model is scored on, so the task scores them with
the same metric. None of them ever sees a validation or held-out target while fitting: forecasts are made from
the values before each forecast origin, exactly the information the learner's window has (or, for the seasonal
forecast, the same season one period back, which a lesson about seasons names).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RIDGE = 1e-6  # keeps least squares solvable when features are collinear; far too small to regularise


@dataclass(frozen=True)
class Forecasts:
    """Baseline forecasts for the windows whose first target is at `origins[i]` (horizon steps each)."""

    last_value: np.ndarray
    mean: np.ndarray
    seasonal: dict[int, np.ndarray]  # period -> forecasts (rows whose season lies before the series are NaN)
    linear: np.ndarray


def _lstsq(features: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Ridge-stabilised least squares with an intercept: returns weights for [features, 1]."""
    a = np.hstack([features, np.ones((len(features), 1))])
    scale = np.sqrt(np.mean(a**2, axis=0)) + 1e-12
    a = a / scale
    gram = a.T @ a + RIDGE * len(a) * np.eye(a.shape[1])
    weights = np.linalg.solve(gram, a.T @ targets)
    return weights / scale[:, None] if weights.ndim == 2 else weights / scale


def _apply(weights: np.ndarray, features: np.ndarray) -> np.ndarray:
    return np.hstack([features, np.ones((len(features), 1))]) @ weights


def lagged(series: np.ndarray, origins: np.ndarray, window: int) -> np.ndarray:
    """Rows of the `window` values just before each origin (oldest first): the learner's inputs."""
    return series[origins[:, None] - window + np.arange(window)[None, :]]


def ahead(series: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    return series[origins[:, None] + np.arange(horizon)[None, :]]


def seasonal_naive(series: np.ndarray, origins: np.ndarray, horizon: int, period: int) -> np.ndarray:
    """Step k ahead of the origin is forecast by the latest value one whole season earlier, known at the origin."""
    steps = np.arange(horizon)
    source = origins[:, None] + steps[None, :] - period * (1 + steps[None, :] // period)
    out = np.full(source.shape, np.nan)
    ok = source >= 0
    out[ok] = series[source[ok]]
    return out


def series_forecasts(series: np.ndarray, train_stop: int, origins: np.ndarray, window: int, horizon: int,
                     seasons: tuple[int, ...] = ()) -> Forecasts:
    """Every series baseline for the windows starting at `origins`; fitting uses targets before `train_stop` only.

    The linear autoregression is least squares on the learner's own window (the same inputs, no recurrence): if
    a recurrent network does not beat it, the lesson's data does not need recurrence.
    """
    series = np.asarray(series, dtype="float64")
    fit_origins = np.arange(window, train_stop - horizon + 1)
    weights = _lstsq(lagged(series, fit_origins, window), ahead(series, fit_origins, horizon))
    train_mean = float(series[:train_stop].mean())
    return Forecasts(
        last_value=np.repeat(series[origins - 1][:, None], horizon, axis=1),
        mean=np.full((len(origins), horizon), train_mean),
        seasonal={p: seasonal_naive(series, origins, horizon, p) for p in seasons},
        linear=_apply(weights, lagged(series, origins, window)),
    )


def bag_of_steps(x: np.ndarray) -> np.ndarray:
    """Order-blind features of (N, T, F) sequences: statistics of the multiset of steps, never of their order."""
    x = np.asarray(x, dtype="float64")
    n, _, f = x.shape
    pairs = np.einsum("ntf,ntg->nfg", x, x) / x.shape[1]
    upper = pairs[:, np.triu_indices(f)[0], np.triu_indices(f)[1]]
    return np.hstack([x.mean(axis=1), x.std(axis=1), x.min(axis=1), x.max(axis=1), upper.reshape(n, -1)])


def bag_of_words(ids: np.ndarray, vocab_size: int) -> np.ndarray:
    """How often each token occurs in each (N, T) row of ids, padding (0) left out: what is said, not in what order."""
    ids = np.asarray(ids, dtype=np.int64)
    counts = np.zeros((len(ids), vocab_size), dtype="float64")
    np.add.at(counts, (np.repeat(np.arange(len(ids)), ids.shape[1]), ids.reshape(-1)), 1.0)
    return counts[:, 1:]


def flattened(x: np.ndarray) -> np.ndarray:
    """Every step's features side by side: a linear model on this sees positions but cannot multiply inputs."""
    return np.asarray(x, dtype="float64").reshape(len(x), -1)


def linear_regression(x_train: np.ndarray, y_train: np.ndarray, x: np.ndarray) -> np.ndarray:
    return _apply(_lstsq(x_train, np.asarray(y_train, dtype="float64")), x)


def _standardise(train: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, std = train.mean(axis=0), train.std(axis=0) + 1e-9
    return (train - mean) / std, (other - mean) / std


def logistic_regression(x_train: np.ndarray, y_train: np.ndarray, x: np.ndarray, classes: int,
                        l2: float = 1e-3, steps: int = 500) -> np.ndarray:
    """Multinomial logistic regression by full-batch gradient descent; returns class probabilities for x."""
    a, b = _standardise(np.asarray(x_train, dtype="float64"), np.asarray(x, dtype="float64"))
    a = np.hstack([a, np.ones((len(a), 1))])
    b = np.hstack([b, np.ones((len(b), 1))])
    onehot = np.eye(classes)[np.asarray(y_train, dtype=np.int64)]
    weights = np.zeros((a.shape[1], classes))
    rate = 0.5
    for _ in range(steps):
        probs = _softmax(a @ weights)
        weights -= rate * (a.T @ (probs - onehot) / len(a) + l2 * weights)
    return _softmax(b @ weights)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class NGram:
    """Interpolated absolute-discounting n-gram model of token ids (a smoothed count model, Kneser–Ney's cousin).

    P(c | h) = max(n(h,c) − d, 0)/n(h) + d·types(h)/n(h) · P(c | shorter h), down to add-one unigram counts.
    """

    def __init__(self, ids: np.ndarray, vocab: int, order: int, discount: float = 0.75) -> None:
        self.vocab, self.order, self.discount = vocab, order, discount
        ids = np.asarray(ids, dtype=np.int64)
        self.unigram = (np.bincount(ids, minlength=vocab) + 1.0) / (len(ids) + vocab)
        self.tables: list[dict[tuple[int, ...], dict[int, int]]] = []
        for n in range(1, order):
            table: dict[tuple[int, ...], dict[int, int]] = {}
            for i in range(n, len(ids)):
                following = table.setdefault(tuple(ids[i - n:i].tolist()), {})
                following[int(ids[i])] = following.get(int(ids[i]), 0) + 1
            self.tables.append(table)

    def probabilities(self, context: np.ndarray) -> np.ndarray:
        """The next-token distribution after `context` (the last order-1 ids matter)."""
        probs = self.unigram.copy()
        context = np.asarray(context, dtype=np.int64)
        for n in range(1, self.order):
            if len(context) < n:
                break
            following = self.tables[n - 1].get(tuple(context[len(context) - n:].tolist()))
            if not following:
                continue
            total = sum(following.values())
            mixed = probs * (self.discount * len(following) / total)
            for token, count in following.items():
                mixed[token] += max(count - self.discount, 0.0) / total
            probs = mixed
        return probs

    def predict(self, contexts: np.ndarray) -> np.ndarray:
        return np.stack([self.probabilities(row) for row in contexts]) if len(contexts) else np.zeros((0, self.vocab))
