"""Regenerate reviews.npz: seeded synthetic one-line film reviews as token ids, padded with 0 at the end.

A review is one clause ("the plot was not very good") or two joined by "but" or "and". A clause's sentiment is
its adjective's, flipped by a negation ("not", "never", "hardly") anywhere before it; intensifiers ("very",
"really", ...) change nothing. After "but" the second clause decides the review ("the acting was great but the
plot was dull" is negative); with "and" both clauses agree. So the same words in another order can mean the
opposite: counting words cannot tell "not good but fun" from "good but not fun".

Reviews have 3 to 21 words and are padded with 0 after their last word to MAX_LEN (pad_sequences(...,
padding="post")). Labels: 0 = negative, 1 = positive.

Run from this folder: python make_reviews.py. Deterministic: the same seed gives the same file.

make_heldout() draws more reviews with a generator the caller seeds: the grader uses it to make the held-out
part on the server from a secret seed, so it is never in this folder.
"""

import numpy as np

SEED = 20261203
SAMPLES = 3000
MAX_LEN = 24

OPENERS = ["honestly", "well", "overall"]
SUBJECTS = [["the", "movie"], ["the", "plot"], ["the", "acting"], ["the", "music"], ["the", "ending"], ["the", "cast"],
            ["it"]]
VERBS = ["was", "is", "felt", "seemed"]
NEGATIONS = ["not", "never", "hardly"]
INTENSIFIERS = ["very", "really", "quite", "so", "truly", "rather"]
POSITIVE = ["good", "great", "fun", "moving", "clever", "superb", "lovely", "brilliant"]
NEGATIVE = ["bad", "dull", "boring", "awful", "weak", "silly", "poor", "messy"]
ENDINGS = [["at", "times"], ["to", "me"], ["in", "the", "end"], ["for", "sure"]]
JOINS = ["but", "and"]

WORDS = sorted({w for group in (OPENERS, VERBS, NEGATIONS, INTENSIFIERS, POSITIVE, NEGATIVE, JOINS) for w in group}
               | {w for phrase in SUBJECTS + ENDINGS for w in phrase})
VOCAB = ["<pad>", *WORDS]  # id 0 is padding; every word has an id from 1
INDEX = {word: i for i, word in enumerate(VOCAB)}


def clause(positive: bool, rng: np.random.Generator) -> list[str]:
    """Subject, verb, maybe a negation, 0-2 intensifiers, an adjective: its sentiment is `positive`."""
    negated = bool(rng.random() < 0.5)
    words = list(SUBJECTS[rng.integers(len(SUBJECTS))]) + [VERBS[rng.integers(len(VERBS))]]
    if negated:
        words.append(NEGATIONS[rng.integers(len(NEGATIONS))])
    words += [INTENSIFIERS[i] for i in rng.integers(len(INTENSIFIERS), size=rng.integers(0, 3))]
    adjectives = POSITIVE if positive != negated else NEGATIVE  # a negation flips the adjective's sentiment
    words.append(adjectives[rng.integers(len(adjectives))])
    if rng.random() < 0.3:
        words += ENDINGS[rng.integers(len(ENDINGS))]
    return words


def review(label: int, rng: np.random.Generator) -> list[str]:
    words = [OPENERS[rng.integers(len(OPENERS))]] if rng.random() < 0.25 else []
    shape = rng.random()
    positive = bool(label)
    if shape < 0.3:  # one clause
        words += clause(positive, rng)
    elif shape < 0.8:  # "but": the second clause contradicts the first and decides
        words += clause(not positive, rng) + ["but"] + clause(positive, rng)
    else:  # "and": both clauses agree
        words += clause(positive, rng) + ["and"] + clause(positive, rng)
    return words


def make_reviews(seed: int = SEED, samples: int = SAMPLES, *,
                 rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`samples` reviews as ids (samples, MAX_LEN), 0 after the last word, and their labels, drawn from `rng`."""
    if rng is None:
        rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, samples)
    x = np.zeros((samples, MAX_LEN), dtype="int32")
    for row, label in enumerate(y):
        ids = [INDEX[w] for w in review(int(label), rng)]
        assert len(ids) <= MAX_LEN
        x[row, :len(ids)] = ids  # padding="post": the words first, then zeros
    return x, y.astype("int64")  # already in random order


def decode(ids: np.ndarray) -> str:
    return " ".join(VOCAB[i] for i in ids if i)


def make_heldout(public: dict[str, np.ndarray], rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """`size` new reviews from the same distribution as public["x"], public["y"] (as loaded from reviews.npz).

    Independent of the public reviews; all randomness from `rng`. x int32 (size, MAX_LEN), y int64.
    """
    size = int(size)
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    public_x = np.asarray(public["x"])
    x, y = make_reviews(samples=size, rng=rng)
    if x.shape[1:] != public_x.shape[1:]:
        raise ValueError(f"public reviews are {public_x.shape[1:]} ids long; this generator makes {x.shape[1:]}")
    return x, y.astype(np.asarray(public["y"]).dtype, copy=False)


if __name__ == "__main__":
    x, y = make_reviews()
    np.savez_compressed("reviews.npz", x=x, y=y)
    lengths = (x > 0).sum(axis=1)
    print(f"reviews.npz: x {x.shape} {x.dtype}, y {y.shape} {y.dtype}, counts {np.bincount(y).tolist()}, "
          f"lengths {lengths.min()}-{lengths.max()}, vocabulary {len(VOCAB)} ids")
    for row in range(5):
        print(y[row], decode(x[row]))
