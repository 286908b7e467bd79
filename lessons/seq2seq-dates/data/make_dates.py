"""Regenerate dates.npz: seeded dates written in words and in short forms, each paired with its ISO date.

Sources are word tokens (digits are tokens too, one per digit), ids into SOURCE_VOCAB, 0 for padding at the end:
"the third of march nineteen eighty seven", "march 3 , 1987", "3 mar 1987", "third march 1987". Targets are the
10 characters of the ISO date ("1987-03-03") as ids into TARGET_VOCAB; id 1 is START, which the grader puts in
front of the decoder's input (teacher forcing) and never appears in a target.

Run from this folder: python make_dates.py. Deterministic: the same seed gives the same file.

make_heldout() draws more pairs with a generator the caller seeds: the grader uses it to make the held-out part
on the server from a secret seed, so it is never in this folder.
"""

import datetime

import numpy as np

SEED = 20261204
SAMPLES = 4000
SOURCE_LEN = 10
FIRST, LAST = datetime.date(1900, 1, 1), datetime.date(2099, 12, 31)

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]
ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
ORDINALS = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
            "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth",
            "nineteenth", "twentieth"]

SOURCE_VOCAB = ["<pad>", *"0123456789", ",", "the", "of", "and", "oh", "hundred", "thousand", *MONTHS,
                *(m[:3] for m in MONTHS if m != "may"), *ONES[1:], *TENS[2:], *ORDINALS[1:], "thirtieth"]
TARGET_VOCAB = ["<pad>", "<start>", "-", *"0123456789"]
TARGET_LEN = 10


def ordinal(day: int) -> list[str]:
    if day <= 20:
        return [ORDINALS[day]]
    if day == 30:
        return ["thirtieth"]
    return [TENS[day // 10], ORDINALS[day % 10]]


def two_digits(n: int) -> list[str]:
    if n < 20:
        return [ONES[n]]
    return [TENS[n // 10]] + ([ONES[n % 10]] if n % 10 else [])


def year_words(year: int) -> list[str]:
    century, rest = divmod(year, 100)
    if year == 2000:
        return ["two", "thousand"]
    if 2000 < year < 2010:
        return ["two", "thousand", "and", ONES[rest]]
    head = two_digits(century)
    if rest == 0:
        return head + ["hundred"]
    if rest < 10:
        return head + ["oh", ONES[rest]]
    return head + two_digits(rest)


def short_month(month: int) -> str:
    name = MONTHS[month - 1]
    return name if name == "may" else name[:3]


def surface(date: datetime.date, form: int) -> list[str]:
    """One of four ways of writing the date, as word tokens (a number's digits are separate tokens)."""
    month, digits = MONTHS[date.month - 1], list(str(date.year))
    if form == 0:
        return ["the", *ordinal(date.day), "of", month, *year_words(date.year)]
    if form == 1:
        return [month, *str(date.day), ",", *digits]
    if form == 2:
        return [*str(date.day), short_month(date.month), *digits]
    return [*ordinal(date.day), month, *digits]


def encode(words: list[str]) -> list[int]:
    index = {w: i for i, w in enumerate(SOURCE_VOCAB)}
    ids = [index[w] for w in words]
    return ids + [0] * (SOURCE_LEN - len(ids))


def make_dates(seed: int = SEED, samples: int = SAMPLES, *,
               rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`samples` pairs: source token ids int32 (samples, SOURCE_LEN) and ISO date character ids (samples, 10)."""
    if rng is None:
        rng = np.random.default_rng(seed)
    span = (LAST - FIRST).days + 1
    days = rng.integers(0, span, samples)
    forms = rng.integers(0, 4, samples)
    target_index = {ch: i for i, ch in enumerate(TARGET_VOCAB)}
    x = np.zeros((samples, SOURCE_LEN), dtype="int32")
    y = np.zeros((samples, TARGET_LEN), dtype="int64")
    for i, (offset, form) in enumerate(zip(days, forms, strict=True)):
        date = FIRST + datetime.timedelta(days=int(offset))
        x[i] = encode(surface(date, int(form)))
        y[i] = [target_index[ch] for ch in date.isoformat()]
    return x, y


def make_heldout(public: dict[str, np.ndarray], rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """`size` new pairs from the same distribution as public["x"], public["y"] (as loaded from dates.npz).

    Independent of the public pairs; all randomness from `rng`. x int32 (size, 10), y int64 (size, 10).
    """
    size = int(size)
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    public_x, public_y = np.asarray(public["x"]), np.asarray(public["y"])
    x, y = make_dates(samples=size, rng=rng)
    if x.shape[1:] != public_x.shape[1:] or y.shape[1:] != public_y.shape[1:]:
        raise ValueError(f"public pairs are x {public_x.shape[1:]}, y {public_y.shape[1:]}; "
                         f"this generator makes x {x.shape[1:]}, y {y.shape[1:]}")
    return x.astype(public_x.dtype, copy=False), y.astype(public_y.dtype, copy=False)


if __name__ == "__main__":
    x, y = make_dates()
    np.savez_compressed("dates.npz", x=x, y=y, source_vocab=np.asarray(SOURCE_VOCAB), target_vocab=np.asarray(TARGET_VOCAB))
    print(f"dates.npz: x {x.shape} {x.dtype} (source vocabulary {len(SOURCE_VOCAB)}), y {y.shape} {y.dtype} "
          f"(target vocabulary {len(TARGET_VOCAB)})")
