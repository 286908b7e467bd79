"""The seed concepts: the fixed vocabulary of ideas the course teaches, which course.toml's [concepts] refers to."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Concept:
    """One idea of the course material: `id` is what course.toml writes, `name` what the course page's tag shows."""

    id: str
    name: str
    group: str


# The 50 concepts of the material the course was built from (issue 12, "Why"), grouped as docs/course.md lists
# them. Ids are part of the course file's format: rename one only together with lessons/course.toml.
_GROUPS: dict[str, tuple[tuple[str, str], ...]] = {
    "Recurrence": (
        ("sequence-data", "Sequential data"),
        ("rnn-applications", "Where RNNs are used"),
        ("hidden-state", "Hidden state"),
        ("recurrent-step", "The recurrent step"),
        ("recurrent-activation", "tanh or ReLU"),
        ("unrolling", "Unrolling"),
        ("parameter-counting", "Counting parameters"),
    ),
    "Preparing sequences": (
        ("windowing", "Sliding windows"),
        ("input-shape", "Samples, timesteps, features"),
        ("time-split", "Splitting by time"),
        ("scaling", "Scaling"),
        ("baselines", "Naive baselines"),
        ("variable-length", "Variable-length sequences"),
        ("padding", "Padding"),
        ("masking", "Masking"),
    ),
    "Training through time": (
        ("bptt", "Backpropagation through time"),
        ("truncated-bptt", "Truncated BPTT"),
        ("vanishing-gradients", "Vanishing gradients"),
        ("exploding-gradients", "Exploding gradients"),
        ("gradient-clipping", "Gradient clipping"),
        ("initialisation", "Initialisation"),
        ("learning-rate-schedules", "Learning-rate schedules"),
        ("rmsprop", "RMSprop"),
        ("adam", "Adam"),
    ),
    "Gated cells": (
        ("lstm-cell-state", "LSTM cell state"),
        ("lstm-gates", "LSTM gates"),
        ("gru-gates", "GRU gates"),
        ("gated-gradient-flow", "Gates and gradient flow"),
        ("gru-vs-lstm", "GRU or LSTM"),
    ),
    "Architectures": (
        ("stacking", "Stacked RNNs"),
        ("bidirectional", "Bidirectional RNNs"),
        ("many-to-one", "Many-to-one"),
        ("many-to-many", "Many-to-many"),
        ("one-to-many", "One-to-many"),
        ("seq2seq", "Sequence to sequence"),
        ("teacher-forcing", "Teacher forcing"),
        ("attention", "Attention"),
        ("multi-step-forecasting", "Multi-step forecasting"),
    ),
    "Text": (
        ("language-modelling", "Language modelling"),
        ("one-hot-encoding", "One-hot encoding"),
        ("embeddings", "Embeddings"),
        ("temperature-sampling", "Temperature sampling"),
        ("bits-per-character", "Bits per character"),
        ("sentiment-classification", "Sentiment classification"),
    ),
    "Practice": (
        ("dropout", "Dropout"),
        ("l2-regularisation", "L2 regularisation"),
        ("early-stopping", "Early stopping"),
        ("hyperparameter-tuning", "Tuning"),
        ("transformers", "RNN or Transformer"),
        ("cnn-1d", "1-D convolutions"),
    ),
}

CONCEPTS: tuple[Concept, ...] = tuple(Concept(id_, name, group) for group, items in _GROUPS.items()
                                      for id_, name in items)
BY_ID: dict[str, Concept] = {concept.id: concept for concept in CONCEPTS}
GROUPS: tuple[str, ...] = tuple(_GROUPS)


def suggest(text: str) -> str | None:
    """The known concept id closest to a misspelt one, if any is close."""
    close = difflib.get_close_matches(text, list(BY_ID), n=1, cutoff=0.6)
    return close[0] if close else None
