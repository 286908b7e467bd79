"""Regenerate rentals.csv: seeded synthetic 'hourly bike rentals' with two seasons, warm and cold days, and rain.

Weekdays have two commuting peaks (08:00 and 17:30) and a small lunchtime bump; weekends have one broad afternoon
hump. A daily temperature factor (AR(1) on the log scale, shared by all hours of a day) makes some days busier
than others. Rain is a hidden on/off state that changes from hour to hour (a two-state Markov chain: a dry hour
turns rainy with probability RAIN_START, a rainy hour turns dry with probability RAIN_STOP, so a rainy spell lasts
about 20 hours on average and about 29 % of hours are rainy). While it rains, demand is RAIN_FACTOR of the usual.
Each hour's rentals are a Poisson count around that demand.

So the best forecast of the next hours is "the usual shape of the coming hours, times the level of the last few
hours relative to their usual shape", a product: a weighted sum of the window cannot express it (it mixes rainy
and dry hours), and "the same hour last week" is wrong whenever this week's weather differs from last week's.

Run from this folder: python make_series.py. Deterministic: the same seed gives the same file.

make_heldout() continues a public series with a generator the caller seeds: the grader uses it to make the
held-out part on the server from a secret seed, so it is never in this folder.
"""

import numpy as np

SEED = 20261203
DAYS = 150
RAIN_START = 0.02  # P(a dry hour is followed by a rainy one)
RAIN_STOP = 0.05  # P(a rainy hour is followed by a dry one)
RAIN_FACTOR = 0.2  # demand while it rains, relative to a dry hour
WEATHER_PHI = 0.7  # AR(1) coefficient of the daily temperature factor (log scale)
WEATHER_SD = 0.12  # sd of its innovations
PARTICLES = 4000  # make_heldout's particle filter


def expected(hours: np.ndarray) -> np.ndarray:
    """Mean rentals of the (absolute) hours `hours` on a dry day; hour 0 is midnight of day 0, a Monday."""
    hours = np.asarray(hours)

    def bump(centre: float, width: float) -> np.ndarray:
        return np.exp(-0.5 * ((hours % 24 - centre) / width) ** 2)

    weekend = (hours // 24) % 7 >= 5
    weekday_shape = 10.0 + 140.0 * bump(8.0, 1.2) + 160.0 * bump(17.5, 1.5) + 30.0 * bump(12.5, 1.5)
    weekend_shape = 10.0 + 110.0 * bump(14.0, 3.0)
    return np.where(weekend, weekend_shape, weekday_shape)


def _run(rng: np.random.Generator, start: int, size: int, raining: bool, weather: float) -> np.ndarray:
    """`size` hourly counts from hour `start` on, given the rain in the hour before and that hour's day's weather."""
    hours = np.arange(start, start + size)
    turns = rng.random(size)
    shocks = rng.normal(0.0, WEATHER_SD, size)  # one used per new day
    rain = np.empty(size, dtype=bool)
    level = np.empty(size)
    for i, hour in enumerate(hours):
        if hour % 24 == 0 and hour > 0:
            weather = WEATHER_PHI * weather + shocks[i]
        raining = bool(turns[i] >= RAIN_STOP) if raining else bool(turns[i] < RAIN_START)
        rain[i], level[i] = raining, weather
    demand = expected(hours) * np.exp(level) * np.where(rain, RAIN_FACTOR, 1.0)
    return rng.poisson(demand).astype("float64")


def make_series(seed: int = SEED, days: int = DAYS) -> np.ndarray:
    """The public series: dry before hour 0, and day 0's weather factor is exactly 1."""
    return _run(np.random.default_rng(seed), 0, 24 * days, raining=False, weather=0.0)


def end_state(public: np.ndarray, rng: np.random.Generator) -> tuple[bool, float]:
    """A draw of (rain in the last public hour, that day's weather) from its posterior given every public count.

    A bootstrap particle filter over the hidden state (rain on/off, the day's log weather factor): particles follow
    the same chain as make_series, are weighted by each hour's Poisson likelihood, and are resampled when the
    weights degenerate; one particle is drawn at the end.
    """
    rain = np.zeros(PARTICLES, dtype=bool)
    weather = np.zeros(PARTICLES)
    log_w = np.zeros(PARTICLES)
    mean = expected(np.arange(len(public)))
    for hour, (count, usual) in enumerate(zip(public, mean, strict=True)):
        if hour % 24 == 0 and hour > 0:
            weather = WEATHER_PHI * weather + rng.normal(0.0, WEATHER_SD, PARTICLES)
        turns = rng.random(PARTICLES)
        rain = np.where(rain, turns >= RAIN_STOP, turns < RAIN_START)
        demand = usual * np.exp(weather) * np.where(rain, RAIN_FACTOR, 1.0)
        log_w += count * np.log(demand) - demand  # Poisson log-likelihood up to a constant
        w = np.exp(log_w - log_w.max())
        w /= w.sum()
        if 1.0 / np.sum(w**2) < PARTICLES / 2:  # systematic resampling
            keep = np.minimum(np.searchsorted(np.cumsum(w), (rng.random() + np.arange(PARTICLES)) / PARTICLES),
                              PARTICLES - 1)
            rain, weather, log_w = rain[keep], weather[keep], np.zeros(PARTICLES)
        else:
            log_w -= log_w.max()  # keeps the weights' scale; only their ratios matter
    w = np.exp(log_w - log_w.max())
    pick = rng.choice(PARTICLES, p=w / w.sum())
    return bool(rain[pick]), float(weather[pick])


def make_heldout(public: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """The next `size` hourly counts of the series whose first len(public) values are `public` (from rentals.csv).

    Hour of day and day of week continue from hour len(public). Whether it rained in the last public hour, and
    that day's weather, are drawn from their posterior given the public counts (end_state); from there the rain
    chain, the daily weather and every hour's Poisson count continue with fresh draws from `rng`.
    """
    public = np.asarray(public, dtype="float64")
    size = int(size)
    if public.ndim != 1 or len(public) == 0 or size < 0:
        raise ValueError(f"need a non-empty 1-D public series and size >= 0; got shape {public.shape}, size {size}")
    raining, weather = end_state(public, rng)
    return _run(rng, len(public), size, raining, weather)


if __name__ == "__main__":
    series = make_series()
    with open("rentals.csv", "w") as fh:
        fh.write("hour,rentals\n")
        for i, v in enumerate(series):
            fh.write(f"{i},{int(v)}\n")
