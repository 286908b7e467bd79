"""Look-inside figures from phase B are bounded on the trusted side: each malformed figure is dropped, never raised."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from graders import look_inside, protocol, wire
from graders.answers import EvaluateAnswer, parse_typed
from graders.protocol import JobKind

STEPS = 60


def good() -> dict[str, Any]:
    norms = np.geomspace(1e-6, 0.5, STEPS).astype("float32")
    states = np.tanh(np.random.default_rng(0).normal(size=(32, STEPS))).astype("float32")
    return {"layer": "SimpleRNN", "seconds": 0.21,
            "gradient": {"norms": norms, "rows": 32, "first_step": 0, "embedded": False},
            "hidden": {"states": states, "units": 32, "first_step": 0},
            "samples": [{"temperature": 0.5, "ids": [1, 2, 3]}, {"temperature": 1.0, "ids": [3, 2]}]}


def test_a_well_formed_answer_becomes_three_figures_with_reading_guides() -> None:
    found = look_inside.parse(good())
    assert found is not None and found.gradient is not None and found.hidden is not None
    assert found.gradient.norms.shape == (STEPS,) and found.hidden.states.shape == (32, STEPS)
    prepared = SimpleNamespace(vocab=["a", "b", "c", "d"], decode=lambda ids: "".join("abcd"[i] for i in ids))
    figures = look_inside.plots(found, prepared, seed="ab")
    assert set(figures) == {"gradient", "hidden", "samples"}
    gradient = figures["gradient"]
    assert gradient["steps"] == list(range(1, STEPS + 1)) and len(gradient["norms"]) == STEPS
    assert gradient["early_over_late"] < 1e-4 and "vanishing gradient" in gradient["summary"]
    assert "GRU or LSTM" in gradient["summary"]  # a SimpleRNN is pointed at the gated layers
    assert all(figure["guide"].endswith(".") for figure in figures.values())
    assert figures["samples"]["texts"] == [{"temperature": 0.5, "text": "bcd"}, {"temperature": 1.0, "text": "dc"}]
    assert len(figures["hidden"]["states"]) == 32 and "units" in figures["hidden"]["summary"]


def test_a_gated_layer_is_told_what_its_gates_do() -> None:
    raw = good() | {"layer": "Bidirectional", "wraps": "GRU"}
    raw["gradient"]["norms"] = np.linspace(0.2, 0.4, STEPS).astype("float32")
    figures = look_inside.plots(look_inside.parse(raw), SimpleNamespace())  # type: ignore[arg-type]
    assert "Bidirectional GRU" in figures["gradient"]["summary"] and "gates" in figures["gradient"]["summary"]
    assert "samples" not in figures  # no vocabulary: not a text lesson
    assert "forward" in figures["hidden"]["guide"]



def test_a_padded_tail_is_left_out_of_the_ratio_and_named() -> None:
    """A masked model's gradient is exactly zero at steps that are padding in every row: the ratio is taken over the
    steps before them (not early over zero), and the summary says why the line drops to zero."""
    raw = good() | {"layer": "GRU"}
    norms = np.linspace(0.2, 0.4, STEPS).astype("float32")
    norms[-12:] = 0.0
    raw["gradient"]["norms"] = norms
    gradient = look_inside.plots(look_inside.parse(raw), SimpleNamespace())["gradient"]  # type: ignore[arg-type]
    assert gradient["early_over_late"] == pytest.approx(np.mean(norms[:4]) / np.mean(norms[44:48]), rel=1e-3)
    assert "before the padding" in gradient["summary"] and "The last 12 steps are padding" in gradient["summary"]
    assert look_inside.early_over_late(np.zeros(STEPS)) is None


BAD_GRADIENTS = [
    np.full(STEPS, np.nan, dtype="float32"),  # not finite
    np.full(STEPS, np.inf, dtype="float32"),
    np.full(STEPS, 1e30),  # finite but absurd
    -np.ones(STEPS),  # a norm is never negative
    np.ones(look_inside.MAX_STEPS + 1),  # more steps than any lesson has
    np.ones((2, STEPS)),  # wrong rank
    np.ones(1),  # one step is not a curve
    np.array([True] * STEPS),  # not numbers
    [0.1] * STEPS,  # a list, not an array from the wire
]


@pytest.mark.parametrize("norms", BAD_GRADIENTS, ids=range(len(BAD_GRADIENTS)))
def test_a_malformed_gradient_is_dropped_and_the_rest_kept(norms: Any) -> None:
    raw = good()
    raw["gradient"]["norms"] = norms
    found = look_inside.parse(raw)
    assert found is not None and found.gradient is None and found.hidden is not None and found.samples


@pytest.mark.parametrize("change", [
    {"states": np.ones((look_inside.MAX_UNITS + 1, STEPS))},  # more units than shown
    {"states": np.ones((4, look_inside.MAX_STEPS + 1))},
    {"states": np.ones(STEPS)},
    {"states": np.full((4, STEPS), np.nan)},
    {"units": 2},  # fewer units than rows sent
    {"units": True},  # a bool is not a count
    {"first_step": -1},
    {"extra": 1},  # a field we never write
])
def test_a_malformed_heatmap_is_dropped(change: dict[str, Any]) -> None:
    raw = good()
    raw["hidden"] = raw["hidden"] | change
    found = look_inside.parse(raw)
    assert found is not None and found.hidden is None and found.gradient is not None


@pytest.mark.parametrize("samples", [
    [{"temperature": 0.7, "ids": [1]}],  # not one of ours
    [{"temperature": 0.5, "ids": [1.5]}],
    [{"temperature": 0.5, "ids": [-1]}],
    [{"temperature": 0.5, "ids": [1] * (look_inside.MAX_SAMPLE_IDS + 1)}],
    [{"temperature": 0.5, "ids": [1]}] * 3,
    "abc",
])
def test_malformed_samples_are_dropped(samples: Any) -> None:
    raw = good() | {"samples": samples}
    found = look_inside.parse(raw)
    assert found is not None and found.samples == []


def test_ids_outside_the_vocabulary_drop_that_sample() -> None:
    found = look_inside.parse(good() | {"samples": [{"temperature": 0.5, "ids": [1, 99]}]})
    assert found is not None
    prepared = SimpleNamespace(vocab=["a", "b"], decode=lambda ids: "".join("ab"[i] for i in ids))
    assert "samples" not in look_inside.plots(found, prepared)


@pytest.mark.parametrize("raw", [None, 3, "x", [], {}, {"layer": "Dense", "gradient": good()["gradient"]},
                                 {"layer": "SimpleRNN", "seconds": float("nan")}])
def test_nothing_usable_is_none(raw: Any) -> None:
    assert look_inside.parse(raw) is None


def test_the_evaluate_answer_carries_it_and_a_malformed_one_never_fails_the_answer() -> None:
    def answer(extra: Any) -> EvaluateAnswer:
        data = {"architecture": {"input_shape": [None, STEPS, 2], "output_shape": [None, 1], "layers": [],
                                 "params": 1}, "batched": np.zeros((2, 1)), "alone": np.zeros((1, 1)),
                "training": None, "diverged": False, "look_inside": extra}
        tree, blobs = wire.pack(data)
        message = protocol.Message(body={"event": "result", "outcome": "ok", "data": tree},
                                   blobs=[bytearray(b"".join(bytes(p) for p in blob)) for blob in blobs])
        parsed = parse_typed(JobKind.evaluate, protocol.parse_answer(message))
        assert isinstance(parsed, EvaluateAnswer)
        return parsed

    assert answer(good()).look_inside is not None
    assert answer({"gradient": {"$dict": 1}}).look_inside is None
    assert answer("junk").look_inside is None
