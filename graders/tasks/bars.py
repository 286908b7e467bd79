"""The report's baselines table, which baseline sets a lesson's pass mark, and how a margin over it is worded."""

from __future__ import annotations

import math

from graders.report import Baseline, GradeReport

STRONGEST = "strongest"

# id -> (title, what beating it means). Titles may name a detail: {period} for seasons, {order} for n-grams.
DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "last_value": ("Repeat the last value",
                   "Your model uses more of its window than the final step."),
    "mean": ("Always the training mean",
             "Your model's answer depends on its input at all."),
    "seasonal": ("The same hour one season ({period} steps) earlier",
                 "Your model knows more than the repeating cycle: it reacts to what happened recently."),
    "linear": ("Least squares on your window (no recurrence)",
               "Your network uses the window in a way no weighted sum of the same inputs can."),
    "linear_flat": ("Least squares on the whole sequence (no recurrence)",
                    "Your network does what no weighted sum of the inputs can, such as keeping a value because "
                    "of a marker seen earlier."),
    "order_blind": ("Order-blind model of the steps (no recurrence)",
                    "Your network uses the order of the steps, which is what a recurrent layer is for."),
    "bag_of_words": ("Bag of words: logistic regression on word counts (no order)",
                     "Your network uses the order of the tokens, which counting them cannot: in a sentence, "
                     "which word a 'not' comes before."),
    "majority": ("Always the most common class",
                 "Your model tells the classes apart at all."),
    "unigram": ("Letter frequencies alone",
                "Your model uses the context before the next character."),
    "ngram": ("Smoothed {order}-gram counts",
              "Your network predicts better than counting what followed the last {context} characters in training."),
}


def percent(fraction: float) -> str:
    """One way to write a relative difference everywhere (checks, verdicts): 0.3 %, 6.1 %, 24 %."""
    value = abs(fraction) * 100
    return f"{value:.1f} %" if value < 10 else f"{value:.0f} %"


def describe(baseline_id: str, value: float | None, **detail: int) -> Baseline:
    kind = baseline_id.split("_")[0] if baseline_id.startswith("seasonal_") else baseline_id
    title, meaning = DESCRIPTIONS[kind]
    if kind == "seasonal":
        detail.setdefault("period", int(baseline_id.split("_")[1]))
    if kind == "ngram":
        detail.setdefault("context", detail.get("order", 1) - 1)
    finite = value is not None and math.isfinite(value)
    return Baseline(id=baseline_id, title=title.format(**detail), meaning=meaning.format(**detail),
                    value=float(value) if finite and value is not None else None)  # exact: the bar is computed from it


def resolve(bar: str, table: list[Baseline], higher_is_better: bool) -> Baseline:
    """The baseline the pass mark is set against: the named one, or the best of the table ('strongest')."""
    scored = [b for b in table if b.value is not None]
    if bar != STRONGEST:
        chosen = next((b for b in table if b.id == bar), None)
        if chosen is None or chosen.value is None:
            raise ValueError(f"baseline {bar!r} could not be computed (have {[b.id for b in scored]})")
    else:
        if not scored:
            raise ValueError("no baseline could be computed")
        sign = 1.0 if higher_is_better else -1.0
        chosen = max(scored, key=lambda b: sign * (b.value or 0.0))
    for b in table:
        b.bar = b is chosen
    return chosen


def strongest_margin(report: GradeReport) -> tuple[Baseline, float] | None:
    """The best baseline in a report and how far the model is ahead of it: the relative error reduction for
    errors and bits (0.25 = 25 % lower), accuracy points for accuracy (0.05 = 5 points). None if unscored."""
    higher = report.metric == "accuracy"
    mine = report.metrics.get(f"heldout_{report.metric}")
    scored = [b for b in report.baselines if b.value is not None]
    if mine is None or not scored or (not higher and mine < 0):
        return None
    sign = 1.0 if higher else -1.0
    best = max(scored, key=lambda b: sign * (b.value or 0.0))
    assert best.value is not None
    if higher:
        return best, mine - best.value
    return best, (1 - mine / best.value) if best.value else -math.inf
