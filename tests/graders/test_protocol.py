"""The protocol's trust boundary: whatever bytes a sandbox writes, the reader returns a typed value or ProtocolError."""

from __future__ import annotations

import io
import json
import os
import struct
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graders import wire
from graders.answers import EvaluateAnswer, TrainAnswer, parse_typed
from graders.protocol import (
    EpochEvent,
    JobKind,
    Message,
    PhaseEvent,
    ProtocolError,
    Stage,
    parse_answer,
    parse_event,
    parse_json,
    read_message,
    write_message,
)

MiB = 1024 * 1024


def frames(*parts: tuple[bytes, bytes]) -> io.BytesIO:
    return io.BytesIO(b"".join(struct.pack(">cI", kind, len(payload)) + payload for kind, payload in parts))


def roundtrip(body: dict, blobs: list[bytes] = ()) -> Message | None:  # type: ignore[assignment, type-arg]
    stream = io.BytesIO()
    write_message(stream, body, blobs)
    stream.seek(0)
    return read_message(stream)


def test_messages_and_blobs_round_trip() -> None:
    message = roundtrip({"event": "result", "x": [1, 2]}, [b"abc", b""])
    assert message is not None and message.body == {"event": "result", "x": [1, 2]} and message.blobs == [b"abc", b""]


@pytest.mark.parametrize("payload", [
    b"[" * 600 + b"]" * 600,  # the 600-deep list that crashed the parent's decoder
    b"[" * 100_000,
    json.dumps({"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}).encode(),
    b"[" + b"{}," * 21_000 + b"{}]",  # too many containers
    b"\xff\xfe not utf-8",
    b'{"a": NaN',
])
def test_hostile_json_is_a_protocol_error(payload: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse_json(payload)


def test_oversized_frames_are_refused_before_they_are_read() -> None:
    huge = io.BytesIO(struct.pack(">cI", b"J", 48 * 1024 * 1024) + b"{}")  # the 48 MiB line, announced
    with pytest.raises(ProtocolError, match="limit"):
        read_message(huge)
    with pytest.raises(ProtocolError):
        read_message(io.BytesIO(struct.pack(">cI", b"B", 1 << 31)))
    with pytest.raises(ProtocolError):
        read_message(io.BytesIO(b"garbage that is not a frame"))


def test_blob_count_must_be_announced_and_present() -> None:
    with pytest.raises(ProtocolError):
        read_message(frames((b"J", b'{"event":"result","blobs":2}'), (b"B", b"x")))
    with pytest.raises(ProtocolError):
        read_message(frames((b"B", b"x")))
    with pytest.raises(ProtocolError):
        read_message(frames((b"J", b'{"event":"result","blobs":true}')))


def test_the_protocol_bomb_stays_small() -> None:
    """A 48 MiB line of {} objects used to take the parent from 52 MB to 1.3 GB: now it is refused unread."""
    bomb = b"[" + b"{}," * (16 * 1024 * 1024) + b"{}]"
    stream = io.BytesIO(struct.pack(">cI", b"J", len(bomb)) + bomb)
    # tracemalloc, not ru_maxrss: an earlier test's peak could hide the growth; this peak starts from now.
    tracemalloc.start()
    try:
        with pytest.raises(ProtocolError):
            read_message(stream)
        with pytest.raises(ProtocolError):
            parse_json(bomb)
        grown_mb = tracemalloc.get_traced_memory()[1] / MiB
    finally:
        tracemalloc.stop()
    assert grown_mb < 20, f"reading the bomb allocated up to {grown_mb:.0f} MB at once"


def test_events_keep_known_fields_of_known_types_only() -> None:
    assert parse_event({"event": "phase", "phase": "train", "epochs": 20, "secret": 1}) == PhaseEvent(Stage.train, 20)
    assert parse_event({"event": "phase", "phase": "<img onerror=x>"}) is None
    assert parse_event({"event": "phase", "phase": ["train"]}) is None
    assert parse_event({"event": "epoch", "epoch": 2, "epochs": 20, "loss": 0.5, "val_loss": "NaN"}) == EpochEvent(
        2, 20, 0.5, None)
    assert parse_event({"event": "epoch", "epoch": True}) is None
    assert parse_event({"event": "epoch", "epoch": 10**9}) is None
    assert parse_event({"event": "epoch", "epoch": 1, "loss": float("inf")}) == EpochEvent(1, None, None, None)
    assert parse_event({"event": "report", "status": "passed"}) is None  # only the engine announces reports


def answer_of(body: dict, blobs: list[bytes] | None = None):  # type: ignore[no-untyped-def, type-arg]
    return parse_answer(Message(body={"event": "result", **body}, blobs=blobs or []))


def test_wire_tags_from_learner_values_cannot_pass_for_ours() -> None:
    """A function result that looks like a wire tag is the learner's dict, never an array of ours."""
    tree, blobs = wire.pack({"__ndarray__": [1, 2], "dtype": "object"})
    value = wire.unpack(tree, blobs)
    assert value == {"__ndarray__": [1, 2], "dtype": "object"}
    for forged in ({"$array": 0}, {"$array": 0, "x": 1}, {"$tuple": "x"}, {"__ndarray__": [1]}, {"$unsupported": 3}):
        with pytest.raises(wire.WireError):
            wire.unpack(forged, [])


@pytest.mark.parametrize("blob", [
    b"",
    b"\x93NUMPY\x01\x00" + struct.pack("<H", 70) + b"{'descr': '<f8', 'fortran_order': False, 'shape': (10000000000,), }\n",
    b"".join(wire.array_bytes(np.zeros(3, dtype="float64")))[:-8],  # truncated data
    b"".join(wire.array_bytes(np.array(["a", "b"]))),  # strings
])
def test_bad_arrays_are_wire_errors(blob: bytes) -> None:
    with pytest.raises(wire.WireError):
        wire.array_from_bytes(blob)


def test_typed_answers_refuse_malformed_bodies() -> None:
    model = wire.pack({"model": np.zeros(4, dtype="uint8"), "reported": {"bad": 1}})
    with pytest.raises(ProtocolError):
        parse_typed(JobKind.train, answer_of({"outcome": "ok", "data": model[0]}, model[1]))
    with pytest.raises(ProtocolError):  # a train answer whose "model" is floats
        tree, blobs = wire.pack({"model": np.zeros(4), "reported": {}})
        parse_typed(JobKind.train, answer_of({"outcome": "ok", "data": tree}, blobs))
    with pytest.raises(ProtocolError):
        parse_answer(Message(body={"event": "result", "outcome": "ok", "check": "not-a-check-id"}))
    with pytest.raises(ProtocolError):
        parse_answer(Message(body={"event": "result", "outcome": "great"}))


def test_a_good_training_answer_parses() -> None:
    reported = {"constants": {"WINDOW": 24}, "window": 24, "epochs": 2, "batch_size": 8, "epochs_run": 2,
                "stopped_for_time": False, "stopped_early": False, "history": [{"epoch": 1, "loss": 0.5, "val_loss": None}]}
    tree, blobs = wire.pack({"model": np.frombuffer(b"PK\x03\x04", dtype="uint8"), "reported": reported})
    typed = parse_typed(JobKind.train, answer_of({"outcome": "ok", "data": tree}, blobs))
    assert isinstance(typed, TrainAnswer) and typed.model.tobytes() == b"PK\x03\x04" and typed.reported.window == 24


def test_an_evaluate_answer_parses() -> None:
    architecture = {"input_shape": [None, 4, 1], "output_shape": [None, 1], "params": 5,
                    "layers": [{"class": "Dense", "name": "d"}], "optimizer": None}
    tree, blobs = wire.pack({"architecture": architecture, "batched": np.zeros((3, 1)), "alone": np.zeros((1, 1))})
    typed = parse_typed(JobKind.evaluate, answer_of({"outcome": "ok", "data": tree}, blobs))
    assert isinstance(typed, EvaluateAnswer) and typed.batched.shape == (3, 1)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_escape_as_other_exceptions(data: bytes) -> None:
    stream = io.BytesIO(data)
    try:
        while read_message(stream) is not None:
            pass
    except ProtocolError:
        pass


@settings(max_examples=300, deadline=None)
@given(json_values, st.lists(st.binary(max_size=64), max_size=3), st.sampled_from(list(JobKind)))
def test_arbitrary_json_answers_are_typed_or_protocol_errors(body: object, blobs: list[bytes], kind: JobKind) -> None:
    payload = json.dumps({"event": "result", "outcome": "ok", "data": body, "blobs": len(blobs)}).encode()
    stream = frames((b"J", payload), *[(b"B", blob) for blob in blobs])
    try:
        message = read_message(stream)
        assert message is not None
        parse_typed(kind, parse_answer(message))
    except ProtocolError:
        pass


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_wire_unpack_of_arbitrary_json_is_a_value_or_wire_error(tree: object) -> None:
    try:
        wire.unpack(tree, [os.urandom(8)])
    except wire.WireError:
        pass
