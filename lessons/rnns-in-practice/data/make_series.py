"""Regenerate rentals.csv: a seeded synthetic 'hourly bike rentals' series with two interacting seasons.

Weekdays have two commuting peaks (08:00 and 17:00); weekends have one broad afternoon hump. A daily
'weather' factor (AR(1), shared by all hours of a day) scales the whole day, demand grows slowly over
the 100 days, and every hour gets its own noise.

Run from this folder: python make_series.py. Deterministic: the same seed gives the same file.

make_heldout() continues a public series with a generator the caller seeds: the grader uses it to make the
held-out part on the server from a secret seed, so it is never in this folder.
"""

import numpy as np

SEED = 20261125
DAYS = 100
WEATHER_PHI = 0.7  # AR(1) coefficient of the daily weather factor
WEATHER_SD = 0.12  # sd of its innovations
HOUR_SD = 4.0  # sd of each hour's own noise
DECIMALS = 2  # as written to rentals.csv


def day_profile(hours: np.ndarray, weekend: bool) -> np.ndarray:
    def bump(centre: float, width: float) -> np.ndarray:
        return np.exp(-0.5 * ((hours - centre) / width) ** 2)

    if weekend:
        return 5.0 + 55.0 * bump(14.0, 3.0)
    return 5.0 + 70.0 * bump(8.0, 1.2) + 80.0 * bump(17.5, 1.5) + 15.0 * bump(12.5, 1.5)


def expected_day(day: int, days: int = DAYS) -> np.ndarray:
    """The 24 hourly values of day `day` (0 = the first day of the file) before weather and noise."""
    trend = 1.0 + 0.2 * day / days
    return day_profile(np.arange(24.0), weekend=day % 7 in (5, 6)) * trend


def make_series(seed: int = SEED, days: int = DAYS) -> np.ndarray:
    rng = np.random.default_rng(seed)
    weather = np.zeros(days)
    for d in range(1, days):
        weather[d] = WEATHER_PHI * weather[d - 1] + rng.normal(0.0, WEATHER_SD)
    values = []
    for d in range(days):
        values.append(expected_day(d, days) * np.exp(weather[d]) + rng.normal(0.0, HOUR_SD, 24))
    return np.clip(np.concatenate(values), 0.0, None)


def weather_posterior(public: np.ndarray) -> tuple[float, float]:
    """Mean and variance of the weather of the last (possibly partial) public day, given all public values.

    A scalar Kalman filter over days: the weather is AR(1) from 0 on day 0, and each day's hours say
    value ~ expected * exp(weather) + noise(sd 4), so a day's least-squares scale factor gives a measurement
    of exp(weather). Only busy hours (expected >= 20) are used: the clip at 0 biases quiet ones, which say
    little about the weather anyway.
    """
    mean, var = 0.0, 0.0  # make_series starts the weather at exactly 0
    for d in range((len(public) - 1) // 24 + 1):
        if d > 0:
            mean, var = WEATHER_PHI * mean, WEATHER_PHI**2 * var + WEATHER_SD**2
        observed = public[24 * d: 24 * (d + 1)]
        expected = expected_day(d)[: len(observed)]
        keep = expected >= 20.0
        energy = float(np.sum(expected[keep] ** 2))
        scale = float(np.sum(observed[keep] * expected[keep])) / energy if energy > 0.0 else 0.0
        if scale <= 0.0 or var == 0.0:
            continue
        measured, measured_var = np.log(scale), HOUR_SD**2 / energy / scale**2  # delta method
        gain = var / (var + measured_var)
        mean, var = mean + gain * (measured - mean), (1.0 - gain) * var
    return mean, var


def make_heldout(public: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """The next `size` hourly values of the series whose first len(public) values are `public` (from rentals.csv).

    Hour of day, day of week and the trend continue from hour len(public) (day len(public) // 24, counting
    days as make_series does). The weather of the last public day is drawn from its posterior given the public
    values (weather_posterior); if that day is unfinished its remaining hours keep it, and later days follow the
    same AR(1) with fresh innovations from `rng`, as does every hour's noise. Clipped at 0 and rounded to the
    CSV's 2 decimals.
    """
    public = np.asarray(public, dtype="float64")
    size = int(size)
    if public.ndim != 1 or len(public) == 0 or size < 0:
        raise ValueError(f"need a non-empty 1-D public series and size >= 0; got shape {public.shape}, size {size}")
    n = len(public)
    mean, var = weather_posterior(public)
    weather = rng.normal(mean, np.sqrt(var))
    day = (n - 1) // 24
    hours = np.arange(n, n + size)
    values = np.empty(size)
    for d in range(day, (n + size - 1) // 24 + 1):
        if d > day:
            weather = WEATHER_PHI * weather + rng.normal(0.0, WEATHER_SD)
        today = (hours // 24) == d
        expected = expected_day(d)[hours[today] % 24]
        values[today] = expected * np.exp(weather) + rng.normal(0.0, HOUR_SD, len(expected))
    return np.round(np.clip(values, 0.0, None), DECIMALS)


if __name__ == "__main__":
    series = make_series()
    with open("rentals.csv", "w") as fh:
        fh.write("hour,rentals\n")
        for i, v in enumerate(series):
            fh.write(f"{i},{v:.2f}\n")
