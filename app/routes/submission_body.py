"""Reading a submission's request body by hand: a size cap before parsing, and a clear 4xx for each way it is wrong."""

from __future__ import annotations

import json
from typing import Any

from fastapi import HTTPException, Request

from app.routes.deps import State
from app.schemas import SubmissionCreate

# JSON escaping can make text up to 6x longer (\uXXXX); beyond that the body cannot hold a legal submission.
JSON_OVERHEAD = 6
EXAMPLE = '{"code": "import keras\\n..."}'
SUBMISSION_BODY_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": SubmissionCreate.model_json_schema()}},
    }
}


def _too_large(limit: int, size: int | None = None) -> HTTPException:
    got = f"Your code is {size:,} bytes; " if size is not None else "The request is too large; "
    return HTTPException(413, f"{got}the limit is {limit:,} bytes. Remove unused code or large literals.")


async def _read_capped(request: Request, cap: int, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:  # a chunked upload that never says its length
            raise _too_large(limit)
    return bytes(body)


async def read_submission(request: Request, state: State) -> SubmissionCreate:
    """The body as a SubmissionCreate, or 413/415/400/422 with a message saying what to fix."""
    limit = state.settings.max_code_bytes
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        # Also a CSRF guard: a cross-site <form> cannot send application/json.
        raise HTTPException(415, f"Send the code as JSON (Content-Type: application/json), e.g. {EXAMPLE}.")
    raw = await _read_capped(request, limit * JSON_OVERHEAD + 1024, limit)
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")  # JSON is UTF-8 (RFC 8259); tolerate a BOM
    except UnicodeDecodeError:
        raise HTTPException(400, "The request body is not UTF-8 text.") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise HTTPException(400, "The request body nests too deeply to be a submission.") from None
    except json.JSONDecodeError as exc:
        raise HTTPException(400, f"The request body is not valid JSON ({exc.msg} at line {exc.lineno}, "
                                 f"column {exc.colno}). Expected {EXAMPLE}.") from None
    if not isinstance(data, dict):
        raise HTTPException(422, f"Expected a JSON object like {EXAMPLE}, got {type(data).__name__}.")
    if "code" not in data:
        raise HTTPException(422, f"The field 'code' is missing. Expected {EXAMPLE}.")
    code = data["code"]
    if not isinstance(code, str):
        raise HTTPException(422, f"The field 'code' must be a string, got {type(code).__name__}.")
    try:
        size = len(code.encode("utf-8"))
    except UnicodeEncodeError:
        raise HTTPException(422, "The code contains characters that are not valid Unicode (lone surrogates).") from None
    if size > limit:
        raise _too_large(limit, size)
    if not code.strip():
        raise HTTPException(422, "The code is empty. Write your solution in the editor, then submit.")
    return SubmissionCreate(code=code)
