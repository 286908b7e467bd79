"""The grading pipeline's vocabulary and wire format: job kinds, outcomes, stages, check ids, bounded frames.

Standard library only: this file is shipped into the sandbox beside worker.py and wire.py, so the in-sandbox
worker writes with it and the trusted pool reads with it. Everything that comes back from a sandbox is hostile
input (learner code shares the worker's interpreter and can write to the pipe itself), so reading is bounded
before anything is parsed: frames are length-prefixed with per-kind caps, JSON is size-, depth- and
container-limited before json.loads sees it, and every failure is a ProtocolError, never another exception.
"""

from __future__ import annotations

import enum
import json
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO


class Stage(enum.StrEnum):
    """The one list of grading stages: engine events, the web queue and the page's JS all use these names."""

    reference = "reference"  # the lesson's own code makes hidden cases (function lessons)
    build = "build"  # learner code builds and compiles its model (phase A)
    train = "train"  # a fresh sandbox trains the saved model on public data (phase B, no learner code)
    evaluate = "evaluate"  # ... after loading it with safe_mode=True
    predict = "predict"  # ... then predicts validation and held-out rows
    score = "score"  # the trusted parent scores


class JobKind(enum.StrEnum):
    train = "train"  # phase A: learner code builds and compiles a Keras model (phase B trains it)
    evaluate = "evaluate"  # phase B: load the archive with safe_mode, predict rows in isolated batches
    call = "call"  # learner functions called on hidden cases
    cases = "cases"  # the lesson's cases.py and solution.py make the hidden cases and their answers


class Outcome(enum.StrEnum):
    """How a job ended, as the worker answers it. Everything but harness_error is the learner's outcome."""

    ok = "ok"
    diverged = "diverged"
    syntax_error = "syntax_error"
    import_error = "import_error"
    contract_error = "contract_error"
    out_of_memory = "out_of_memory"
    unsafe_model = "unsafe_model"
    harness_error = "harness_error"


class EventKind(enum.StrEnum):
    ready = "ready"
    phase = "phase"
    epoch = "epoch"
    result = "result"


# Check ids and their one title each. Titles that name a lesson's numbers are completed by the task.
CHECK_TITLES: dict[str, str] = {
    "contract": "Module meets the contract",
    "input_shape": "Input shape is (timesteps, features)",
    "layers": "Uses the required layers",
    "layer_choice": "Uses one of the allowed layers",
    "return_sequences": "Recurrent layers pass sequences correctly",
    "output_shape": "Output shape matches the task",
    "max_params": "Stays within the parameter budget",
    "gradient_clipping": "Gradient clipping is configured",
    "schedule": "The learning rate follows a schedule",
    "regularisation": "The model is regularised (L2 or dropout)",
    "finite_predictions": "Predictions are finite numbers",
    "batch_invariant": "Each prediction depends on its own input only",
    "not_flat": "Predictions follow the data",
    "padding_invariant": "Padding does not change predictions",
    "encoder_state": "The decoder starts from what the encoder read",
    "beats_baseline": "Beats the baseline on held-out data",
    "safe_model": "Model loads safely (no Lambda or custom code)",
}

# ------------------------------------------------------------------ frames

JSON_FRAME = b"J"
BLOB_FRAME = b"B"
_HEADER = struct.Struct(">cI")  # kind, payload length
MAX_JSON_BYTES = 64 * 1024  # one message; progress events are a few hundred bytes
MAX_JSON_DEPTH = 32
MAX_JSON_CONTAINERS = 20_000  # objects + arrays in one message: bounds the parser's memory
MAX_BLOBS = 10_000  # binary frames one message may carry (one per array: function cases have many)
MAX_BLOB_BYTES = 33 * 1024 * 1024  # a saved model (32 MiB cap, plus its array header) or a predictions array
MAX_BLOBS_TOTAL = 40 * 1024 * 1024  # what one answer may hold in the trusted process
MAX_CHATTER_BYTES = 4 * 1024 * 1024  # all progress events of one job together


class ProtocolError(ValueError):
    """Bytes on a protocol pipe that our own code would never write."""


@dataclass(frozen=True)
class Limits:
    """What a reader accepts. The trusted side reads with the defaults; the worker reads its trusted job with more room."""

    json_bytes: int = MAX_JSON_BYTES
    depth: int = MAX_JSON_DEPTH
    containers: int = MAX_JSON_CONTAINERS
    blobs: int = MAX_BLOBS
    blob_bytes: int = MAX_BLOB_BYTES
    blobs_total: int = MAX_BLOBS_TOTAL


TRUSTED_INPUT = Limits(json_bytes=256 * 1024 * 1024, depth=64, containers=50_000_000, blobs=4096,
                       blob_bytes=1 << 31, blobs_total=1 << 32)


@dataclass
class Message:
    """One JSON object and the binary frames it announced ("blobs": n)."""

    body: dict[str, Any]
    blobs: list[bytearray] = field(default_factory=list)


Buffer = bytes | bytearray | memoryview
Blob = Buffer | list[Buffer]  # a blob may be written in parts (an array's header, then its memory, uncopied)


def _blob_size(blob: Blob) -> int:
    return sum(memoryview(part).nbytes for part in blob) if isinstance(blob, list) else memoryview(blob).nbytes


def write_message(stream: BinaryIO, body: dict[str, Any], blobs: list[Blob] | tuple[Blob, ...] = ()) -> None:
    """A JSON frame (announcing how many blobs follow), then each blob as a binary frame."""
    payload = json.dumps({**body, "blobs": len(blobs)}, separators=(",", ":"), allow_nan=True).encode("utf-8")
    stream.write(_HEADER.pack(JSON_FRAME, len(payload)) + payload)
    for blob in blobs:
        stream.write(_HEADER.pack(BLOB_FRAME, _blob_size(blob)))
        for part in blob if isinstance(blob, list) else [blob]:
            stream.write(part)
    stream.flush()


def _read_exact(stream: BinaryIO, size: int) -> bytearray:
    """Exactly size bytes into one preallocated buffer (no chunk list to join: the cap is the memory used)."""
    buffer = bytearray(size)
    view = memoryview(buffer)
    filled = 0
    while filled < size:
        count = stream.readinto(view[filled:])  # type: ignore[attr-defined]
        if not count:
            raise ProtocolError("the stream ended inside a frame")
        filled += count
    return buffer


def _read_frame(stream: BinaryIO, limits: Limits) -> tuple[bytes, bytearray] | None:
    head = stream.read(_HEADER.size)
    if not head:
        return None
    if len(head) < _HEADER.size:
        head += bytes(_read_exact(stream, _HEADER.size - len(head)))
    kind, size = _HEADER.unpack(head)
    if kind == JSON_FRAME:
        if size > limits.json_bytes:
            raise ProtocolError(f"a {size}-byte message is over the {limits.json_bytes}-byte limit")
    elif kind == BLOB_FRAME:
        if size > limits.blob_bytes:
            raise ProtocolError(f"a {size}-byte binary frame is over the {limits.blob_bytes}-byte limit")
    else:
        raise ProtocolError("not a frame of ours")
    return kind, _read_exact(stream, size)


def read_message(stream: BinaryIO, limits: Limits = Limits()) -> Message | None:
    """The next message, or None at a clean end of stream. Raises ProtocolError for anything else."""
    frame = _read_frame(stream, limits)
    if frame is None:
        return None
    kind, payload = frame
    if kind != JSON_FRAME:
        raise ProtocolError("a binary frame nobody announced")
    body = parse_json(payload, limits)
    if not isinstance(body, dict):
        raise ProtocolError("a message must be a JSON object")
    count = body.pop("blobs", 0)
    if type(count) is not int or not 0 <= count <= limits.blobs:
        raise ProtocolError("bad blob count")
    blobs, total = [], 0
    for _ in range(count):
        frame = _read_frame(stream, limits)
        if frame is None or frame[0] != BLOB_FRAME:
            raise ProtocolError("an announced binary frame is missing")
        total += len(frame[1])
        if total > limits.blobs_total:
            raise ProtocolError("the binary frames of one message are too large together")
        blobs.append(frame[1])
    return Message(body=body, blobs=blobs)


def parse_json(payload: bytes | bytearray, limits: Limits = Limits()) -> Any:
    """json.loads on a size-capped payload, then an iterative walk that enforces depth and container limits.

    The size cap bounds the parser's memory (a 64 KiB message cannot become gigabytes); the C parser's own
    recursion guard turns absurd nesting into RecursionError, which is caught like any other decode failure.
    """
    if len(payload) > limits.json_bytes:
        raise ProtocolError("message too large")
    try:
        value = json.loads(payload)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ProtocolError(f"not JSON: {str(exc)[:80]}") from None
    containers = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            containers += 1
            if depth > limits.depth:
                raise ProtocolError(f"nested deeper than {limits.depth}")
            if containers > limits.containers:
                raise ProtocolError(f"more than {limits.containers} containers in one message")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return value


# ------------------------------------------------------------------ events (progress; shown, never scored)


@dataclass(frozen=True)
class PhaseEvent:
    stage: Stage
    epochs: int | None = None

    def to_dict(self) -> dict[str, Any]:
        event: dict[str, Any] = {"event": "phase", "phase": self.stage.value}
        if self.epochs is not None:
            event["epochs"] = self.epochs
        return event


@dataclass(frozen=True)
class EpochEvent:
    epoch: int
    epochs: int | None
    loss: float | None
    val_loss: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"event": "epoch", "epoch": self.epoch, "epochs": self.epochs, "loss": self.loss,
                "val_loss": self.val_loss}


@dataclass(frozen=True)
class ReportEvent:
    status: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"event": "report", "status": self.status, "score": self.score}


Event = PhaseEvent | EpochEvent | ReportEvent


def _count(value: Any, high: int = 1_000_000) -> int | None:
    return value if type(value) is int and 0 <= value <= high else None


def _number(value: Any) -> float | None:
    if type(value) not in (int, float) or value != value or value in (float("inf"), float("-inf")):
        return None
    return float(value)


def parse_event(body: dict[str, Any]) -> Event | None:
    """A progress event with known fields of known types, or None (dropped) for anything else."""
    kind = body.get("event")
    if kind == EventKind.phase:
        stage = body.get("phase")
        if not isinstance(stage, str) or stage not in Stage.__members__:
            return None
        return PhaseEvent(stage=Stage(stage), epochs=_count(body.get("epochs")))
    if kind == EventKind.epoch:
        epoch = _count(body.get("epoch"))
        if epoch is None:
            return None
        return EpochEvent(epoch=epoch, epochs=_count(body.get("epochs")), loss=_number(body.get("loss")),
                          val_loss=_number(body.get("val_loss")))
    return None


# ------------------------------------------------------------------ answers (the one result of a job)


@dataclass
class Answer:
    """A job's result envelope: the outcome, the worker's message and check, and the kind-specific body."""

    outcome: Outcome
    check: str
    message: str
    seconds: float
    body: dict[str, Any]
    blobs: list[bytearray]


def parse_answer(message: Message) -> Answer:
    body = dict(message.body)
    if body.pop("event", None) != EventKind.result:
        raise ProtocolError("not a result")
    outcome = body.pop("outcome", None)
    if outcome not in Outcome.__members__:
        raise ProtocolError("unknown outcome")
    check = body.pop("check", "contract")
    text = body.pop("message", "")
    seconds = body.pop("seconds", 0.0)
    if not isinstance(check, str) or check not in CHECK_TITLES or not isinstance(text, str):
        raise ProtocolError("bad check or message")
    if type(seconds) not in (int, float):
        raise ProtocolError("bad seconds")
    return Answer(outcome=Outcome(outcome), check=check, message=text[:8000], seconds=float(seconds), body=body,
                  blobs=message.blobs)
