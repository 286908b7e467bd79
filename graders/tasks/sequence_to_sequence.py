"""Held-out sequence to sequence (encoder-decoder): token-id sources, target ids, scored by greedy decoding.

Phase B trains with teacher forcing (the decoder reads the true target shifted right behind START, public rows only)
and decodes the held-out sources greedily, one step at a time from its own guesses; the held-out targets never leave
this process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from graders.answers import Architecture, TrainAnswer, TypedAnswer
from graders.batching import EvalRows
from graders.heldout import HeldoutStore
from graders.report import Baseline, Check, GradeReport
from graders.spec import LessonGrading, SequenceToSequenceSpec, SpecError
from graders.tasks import bars, model_checks
from graders.tasks.base import Evaluated, Task, as_trained
from graders.tasks.splits import ArraySplit, load_arrays

COPY = ("Copy the source's characters into the target, in order",
        "Your network reorders and translates: a month's name becomes its number, words become digits.")
LOOKUP = ("The target of the most similar training source (shared tokens)",
          "Your network generalises to sources it never saw, instead of recalling the nearest one it did.")
PEEKING_GAP = 0.2  # teacher-forced next-character probability this far above greedy per-character accuracy


@dataclass
class PairSplit:
    """Source ids (N, S) and target ids (N, T), train | validation | held-out, with both vocabularies."""

    arrays: ArraySplit
    source_vocab: list[str]
    target_vocab: list[str]
    start: int

    @property
    def heldout_mode(self) -> Any:
        return self.arrays.heldout_mode

    def part(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return self.arrays.part(name)

    def decode(self, ids: np.ndarray) -> str:
        return "".join(self.target_vocab[i] if 0 <= i < len(self.target_vocab) and i != self.start else "?"
                       for i in ids.tolist())

    @property
    def sizes(self) -> tuple[int, int, int, int]:
        """source_len, source_vocab, target_len, target_vocab: build_model's arguments."""
        return (self.arrays.x.shape[1], len(self.source_vocab), self.arrays.y.shape[1], len(self.target_vocab))


def _spec(grading: LessonGrading) -> SequenceToSequenceSpec:
    assert isinstance(grading.spec, SequenceToSequenceSpec)
    return grading.spec


def _vocabularies(grading: LessonGrading) -> tuple[list[str], list[str]]:
    path = grading.data_path(_spec(grading).data.arrays)
    try:
        with np.load(path, allow_pickle=False) as data:
            return [str(t) for t in data["source_vocab"]], [str(t) for t in data["target_vocab"]]
    except (OSError, KeyError, ValueError) as exc:
        raise SpecError(f"{path}: a sequence_to_sequence lesson needs source_vocab and target_vocab string arrays "
                        f"beside x and y: {exc}") from None


def load_pairs(grading: LessonGrading, store: HeldoutStore | None) -> PairSplit:
    data = _spec(grading).data
    arrays = load_arrays(grading, data, store, classes=True)
    source_vocab, target_vocab = _vocabularies(grading)
    x, y = arrays.x, arrays.y
    where = f"{grading.folder / 'grading.toml'}: data.arrays"
    if y.ndim != 2 or y.min() < 0 or y.max() >= len(target_vocab) or x.max() >= len(source_vocab):
        raise SpecError(f"{where}: needs y (N, target_len) of ids into target_vocab ({len(target_vocab)}) and x ids "
                        f"into source_vocab ({len(source_vocab)}); got x {x.shape} up to {x.max()}, y {y.shape}")
    if not 0 < data.start_token < len(target_vocab) or np.any(y == data.start_token):
        raise SpecError(f"{where}: start_token {data.start_token} must be an id of target_vocab that no target holds")
    return PairSplit(arrays=arrays, source_vocab=source_vocab, target_vocab=target_vocab, start=data.start_token)


def output_meaning(steps: int, k: int) -> str:
    return f"one probability per target character ({k}) at each of the {steps} output steps"


class SequenceToSequence(Task[PairSplit]):
    def prepare(self, grading: LessonGrading, store: HeldoutStore | None) -> PairSplit:
        return load_pairs(grading, store)

    def train_job(self, grading: LessonGrading, prepared: PairSplit, code: str, seed: int = 0) -> dict[str, Any]:
        spec = _spec(grading)
        source_len, source_vocab, target_len, target_vocab = prepared.sizes
        x_train, y_train = prepared.part("train")
        x_val, y_val = prepared.part("validation")
        return {
            "kind": "train", "code": code, "seed": seed, "train_seconds": spec.limits.train_seconds,
            "early_stopping_patience": spec.contract.early_stopping_patience,
            "constants": [["EPOCHS", 1, spec.contract.epochs_max], ["BATCH_SIZE", 1, spec.contract.batch_size_max]],
            "build_args": [source_len, source_vocab, target_len, target_vocab],
            "build_arg_names": ["source_len", "source_vocab", "target_len", "target_vocab"],
            # Two inputs: the encoder's source ids and the decoder's input ids. No "output_shape": a decoder that
            # returns one state is graded failed by the wiring check, which says what to change.
            "input_shape": [[None, source_len], [None, target_len]],
            # Teacher forcing: the worker puts START before each public target to make the decoder's input.
            "data": {"kind": "teacher_forcing", "x_train": x_train, "y_train": y_train, "x_val": x_val,
                     "y_val": y_val, "start": prepared.start},
        }

    def evaluation(self, grading: LessonGrading, prepared: PairSplit, trained: TypedAnswer) -> EvalRows:
        """Sources only: phase B decodes each one greedily from START; the targets stay here."""
        parts = {"validation": prepared.part("validation")[0], "heldout": prepared.part("heldout")[0]}
        return EvalRows(parts=parts, extra={"greedy": {"start": prepared.start, "steps": prepared.sizes[2]}})

    def output_shape(self, grading: LessonGrading, prepared: PairSplit) -> tuple[int, ...]:
        return (prepared.sizes[2], prepared.sizes[3])

    def score(self, grading: LessonGrading, prepared: PairSplit, trained: TypedAnswer,
              evaluated: Evaluated | None) -> GradeReport:
        return score(grading, prepared, as_trained(trained), evaluated)


def recurrent_layers(architecture: Architecture) -> list[Any]:
    return [layer for layer in architecture.live_layers()
            if layer.class_ in model_checks.RECURRENT or layer.wraps in model_checks.RECURRENT]


def output_checks(architecture: Architecture, want: list[Any], k: int) -> list[Check]:
    """The decoder must return every step (one character each), ending in a softmax over the target characters."""
    output = architecture.output_shape
    recurrent = recurrent_layers(architecture)
    title = "The decoder returns every step"
    per_step = isinstance(output, list) and len(output) == len(want)
    if not recurrent:
        wiring = Check(id="return_sequences", title=title, passed=False, points=0,
                       message="Your model has no recurrent layer: an encoder-decoder reads the source with one "
                               "(return_state=True) and writes the target with another (return_sequences=True).")
    elif per_step:
        wiring = Check(id="return_sequences", title=title, passed=True, points=1,
                       message="Your model outputs one prediction per target step.")
    else:
        shown = tuple(output[1:]) if isinstance(output, list) and output and not isinstance(output[0], list) else output
        wiring = Check(id="return_sequences", title=title, passed=False, points=0,
                       message=f"Your output is {shown} per source but this task needs one character per target step "
                               f"{tuple(want[1:])}: set return_sequences=True on the decoder.")
    ok = output == want
    shape = Check(id="output_shape", title=f"Output shape is {tuple(want)}", passed=ok, points=1 if ok else 0,
                  message=f"Output {output}: {output_meaning(want[1], k)}." if ok else
                  f"Your model outputs {output}, but the grader needs {tuple(want)}: {output_meaning(want[1], k)}. "
                  f"Return sequences from the decoder and end with keras.layers.Dense({k}, activation='softmax').")
    return [wiring, shape]


def encoder_check(prepared: PairSplit, guesses: dict[str, np.ndarray] | None) -> Check:
    """A decoder that never hears the encoder writes the same target for every source: it cannot know the date."""
    title = "The decoder starts from what the encoder read"
    if guesses is None:
        return model_checks.skipped("encoder_state", title)
    shown = guesses["validation"]
    if len(shown) > 1 and bool(np.all(shown == shown[0])):
        return Check(id="encoder_state", title=title, passed=False, points=0,
                     message=f"Your model writes the same target, {prepared.decode(shown[0])}, for every source: its "
                             "decoder never hears from the encoder. Give the decoder the encoder's final state, "
                             "e.g. `_, h, c = keras.layers.LSTM(64, return_state=True)(source)` and then "
                             "`keras.layers.LSTM(64, return_sequences=True)(target, initial_state=[h, c])`.")
    distinct = len({row.tobytes() for row in shown})
    return Check(id="encoder_state", title=title, passed=True, points=1,
                 message=f"Your model wrote {distinct:,} different targets for {len(shown):,} public validation "
                         "sources: what it writes depends on what it read.")


def teacher_forced(trained: TrainAnswer) -> float | None:
    """The mean probability given to the right next character with the true characters before it, from the
    grader's own last validation loss (cross-entropy per step): exp(-loss)."""
    history = trained.reported.history
    loss = history[-1].val_loss if history else None
    return math.exp(-loss) if loss is not None and math.isfinite(loss) else None


def peeking_sentence(trained: TrainAnswer, char_accuracy: float, exact: float) -> str:
    """A decoder that can see later decoder inputs learns to copy them under teacher forcing: a tiny training loss,
    then nothing to copy when it decodes its own guesses. Said when the gap between the two is that large."""
    forced = teacher_forced(trained)
    if forced is None or forced - char_accuracy < PEEKING_GAP:
        return ""
    loss = trained.reported.history[-1].val_loss
    return (f" With teacher forcing (the true characters as the decoder's input) your model's validation loss fell to "
            f"{loss:.3g}: it gave the right next character {forced:.0%} probability on average. Decoding from its "
            f"own guesses it got {char_accuracy:.0%} of the characters and {exact:.0%} of the dates right. A "
            "decoder that sees later steps of its input (a Bidirectional decoder, or one reading the whole target at "
            "once) learns to copy the next character from the input during training, and at inference that "
            "character is not written yet: make the decoder a one-directional LSTM or GRU.")


def score(grading: LessonGrading, prepared: PairSplit, trained: TrainAnswer, evaluated: Evaluated | None) -> GradeReport:
    assert evaluated is not None
    spec = _spec(grading)
    source_len, _, steps, k = prepared.sizes
    architecture = evaluated.architecture
    want: list[Any] = [None, steps, k]
    checks = [model_checks.contract_check(trained),
              Check(id="input_shape", title="Inputs are (source_len,) and (target_len,) token ids", passed=True,
                    points=1, message=f"Inputs {architecture.input_shape}: the source's token ids for the encoder "
                                      "and the decoder's input characters.")]
    checks += model_checks.layer_checks(spec.contract, architecture)
    checks += output_checks(architecture, want, k)
    checks += model_checks.budget_checks(spec.contract, architecture)
    checks.append(model_checks.finite_check(trained, evaluated.predictions))
    metrics: dict[str, float] = {}
    table: list[Baseline] = []
    scored = bool(evaluated.predictions) and architecture.output_shape == want
    guesses: dict[str, np.ndarray] | None = None
    if scored:
        guesses = {part: probs.argmax(axis=-1) if np.all(np.isfinite(probs)) else np.full(probs.shape[:2], -1)
                   for part, probs in evaluated.predictions.items()}
    checks.append(encoder_check(prepared, guesses))
    if guesses is not None:
        exact: dict[str, float] = {}
        chars: dict[str, float] = {}
        for part in ("validation", "heldout"):
            y = prepared.part(part)[1]
            exact[part] = float(np.mean(np.all(guesses[part] == y, axis=1)))
            chars[part] = float(np.mean(guesses[part] == y))
        table = baseline_table(prepared, spec.scoring.bar)
        bar = next(b for b in table if b.bar)
        assert bar.value is not None
        metrics = {"heldout_accuracy": round(exact["heldout"], 4), "heldout_char_accuracy": round(chars["heldout"], 4),
                   "baseline_accuracy": round(bar.value, 4), "validation_accuracy": round(exact["validation"], 4),
                   "validation_char_accuracy": round(chars["validation"], 4),
                   "heldout_samples": float(len(guesses["heldout"]))}
        forced = teacher_forced(trained)
        if forced is not None:
            metrics["teacher_forced_probability"] = round(forced, 4)
        target = spec.scoring.min_accuracy
        check = model_checks.accuracy_bar_check(
            exact["heldout"], bar.value, target, spec.scoring.baseline_points,
            title=f"Held-out targets decoded exactly right: at least {target:.0%}",
            measured=f"Greedy decoding got {exact['heldout']:.1%} of {len(guesses['heldout']):,} held-out targets "
                     f"exactly right ({chars['heldout']:.1%} of their characters)",
            bar_title=bar.title, bar_meaning=bar.meaning, advice=spec.scoring.advice)
        peeking = "" if check.passed else peeking_sentence(trained, chars["validation"], exact["validation"])
        if peeking:  # the lesson's point, before the general advice
            check.message = check.message.replace(" To improve:", peeking + " To improve:", 1)
        checks.append(check)
    else:
        checks.append(model_checks.skipped("beats_baseline", "Held-out targets decoded exactly right",
                                           spec.scoring.baseline_points))
    report = model_checks.model_report(checks, trained, architecture, metrics, {}, evaluated.predictions)
    report.metric, report.baselines = "accuracy", table
    return report


def copy_guess(prepared: PairSplit, x: np.ndarray, template: np.ndarray) -> np.ndarray:
    """Each source's one-character tokens that are target characters (digits), copied in order into the target
    positions the training targets do not fill with a fixed character; the rest from the template."""
    index = {ch: i for i, ch in enumerate(prepared.target_vocab) if i not in (0, prepared.start)}
    copyable = np.full(len(prepared.source_vocab), -1)
    for i, token in enumerate(prepared.source_vocab):
        if i and token in index:
            copyable[i] = index[token]
    y_train = prepared.part("train")[1]
    fixed = np.all(y_train == y_train[:1], axis=0)  # e.g. the dashes of an ISO date
    free = np.flatnonzero(~fixed)
    guess = np.tile(template, (len(x), 1))
    for row, source in zip(guess, x, strict=True):
        chars = [int(c) for c in copyable[source] if c >= 0][:len(free)]
        row[free[:len(chars)]] = chars
    return guess


def lookup_guess(prepared: PairSplit, x: np.ndarray) -> np.ndarray:
    """The target of the training source sharing the most tokens with each source (counts' dot product; ties: the
    first)."""
    x_train, y_train = prepared.part("train")
    vocab = len(prepared.source_vocab)

    def bags(rows: np.ndarray) -> np.ndarray:
        counts = np.zeros((len(rows), vocab))
        np.add.at(counts, (np.repeat(np.arange(len(rows)), rows.shape[1]), rows.ravel()), 1.0)
        counts[:, 0] = 0.0  # padding says nothing
        return counts

    return y_train[(bags(x) @ bags(x_train).T).argmax(axis=1)]


def baseline_table(prepared: PairSplit, bar: str) -> list[Baseline]:
    """Exact-match accuracy on the held-out pairs of a copying rule and of a lookup, fit on training pairs only."""
    cached = prepared.arrays.cache.get(("baselines", bar))
    if cached is None:
        y_train = prepared.part("train")[1]
        template = np.asarray([np.bincount(col, minlength=len(prepared.target_vocab)).argmax() for col in y_train.T])
        x, y = prepared.part("heldout")
        cached = []
        for baseline_id, (title, meaning), guess in (("copy", COPY, copy_guess(prepared, x, template)),
                                                      ("lookup", LOOKUP, lookup_guess(prepared, x))):
            cached.append(Baseline(id=baseline_id, title=f"{title} ({np.mean(guess == y):.0%} of characters)",
                                   meaning=meaning, value=float(np.mean(np.all(guess == y, axis=1)))))
        bars.resolve(bar, cached, higher_is_better=True)
        prepared.arrays.cache[("baselines", bar)] = cached
    return [b.model_copy() for b in cached]
