"""Regenerate rentals.csv: a seeded synthetic 'hourly bike rentals' series with two interacting seasons.

Weekdays have two commuting peaks (08:00 and 17:00); weekends have one broad afternoon hump. A daily
'weather' factor (AR(1), shared by all hours of a day) scales the whole day, demand grows slowly over
the 100 days, and every hour gets its own noise.

Run from this folder: python make_series.py. Deterministic: the same seed gives the same file.
"""

import numpy as np

SEED = 20261125
DAYS = 100


def day_profile(hours: np.ndarray, weekend: bool) -> np.ndarray:
    def bump(centre: float, width: float) -> np.ndarray:
        return np.exp(-0.5 * ((hours - centre) / width) ** 2)

    if weekend:
        return 5.0 + 55.0 * bump(14.0, 3.0)
    return 5.0 + 70.0 * bump(8.0, 1.2) + 80.0 * bump(17.5, 1.5) + 15.0 * bump(12.5, 1.5)


def make_series(seed: int = SEED, days: int = DAYS) -> np.ndarray:
    rng = np.random.default_rng(seed)
    hours = np.arange(24.0)
    weather = np.zeros(days)
    for d in range(1, days):
        weather[d] = 0.7 * weather[d - 1] + rng.normal(0.0, 0.12)
    values = []
    for d in range(days):
        trend = 1.0 + 0.2 * d / days
        profile = day_profile(hours, weekend=d % 7 in (5, 6))
        values.append(profile * trend * np.exp(weather[d]) + rng.normal(0.0, 4.0, 24))
    return np.clip(np.concatenate(values), 0.0, None)


if __name__ == "__main__":
    series = make_series()
    with open("rentals.csv", "w") as fh:
        fh.write("hour,rentals\n")
        for i, v in enumerate(series):
            fh.write(f"{i},{v:.2f}\n")
