"""Replay real recorded Anthropic streams and compare our output with the anthropic SDK's own fold.

The recordings live outside the project (``../shared/real-streams`` beside the repo root, or the folder
named by ``TRANSLATORS_REAL_STREAMS``); they are never copied in. When the folder is absent, the
parametrized tests collect zero cases and nothing fails.

For every ``anthropic/*.sse`` recording: the output contract holds; a recording with an error event (or a
fragment without ``message_start``) ends with an error event and no ``[DONE]``; and for complete streams,
the openai fold of our output agrees with ``anthropic.lib.streaming._messages.accumulate_event`` over the
same events on text, tool calls, finish reason and usage totals.
"""

from __future__ import annotations

import json
import os
import random
import zlib
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from tests.contract import ANTHROPIC_FINISH, check_contract, fold, parse_sse_output
from translators import stream
from translators.sse import SSEDecoder

ROOT = Path(__file__).resolve().parent.parent


def _real_streams_dir() -> Path | None:
    env = os.environ.get("TRANSLATORS_REAL_STREAMS")
    folder = Path(env) if env else ROOT.parent / "shared" / "real-streams"
    return folder if folder.is_dir() else None


REAL = _real_streams_dir()
RECORDINGS = sorted((REAL / "anthropic").glob("*.sse")) if REAL is not None else []

CREATED = 1_700_000_000


def _events(body: bytes) -> list[dict[str, Any]]:
    decoder = SSEDecoder()
    return [json.loads(frame.data) for frame in decoder.decode(body) + decoder.flush() if frame.data]


def _translate(body: bytes, pieces: list[bytes] | None = None) -> bytes:
    return b"".join(stream("anthropic", pieces if pieces is not None else [body], created=CREATED))


def _complete(events: list[dict[str, Any]]) -> bool:
    types = [e.get("type") for e in events]
    return bool(types) and types[0] == "message_start" and "message_stop" in types and "error" not in types


def _sdk_fold(events: list[dict[str, Any]]) -> Any:
    """The anthropic SDK's accumulated message, fed the events its own stream reader would yield."""
    from anthropic.lib.streaming._messages import accumulate_event

    snapshot: Any = None
    json_bufs: dict[int, bytes] = {}
    for event in events:
        if event.get("type") in ("ping", "error"):  # the SDK's reader drops pings and raises on errors
            continue
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=json_bufs)  # type: ignore[arg-type]
    return snapshot


def _name(path: Path) -> str:
    return path.stem


def test_real_streams_folder_is_optional() -> None:
    if REAL is None:
        assert RECORDINGS == []
    else:
        assert RECORDINGS, f"{REAL} exists but has no anthropic/*.sse"


@pytest.mark.parametrize("path", RECORDINGS, ids=_name)
def test_contract(path: Path) -> None:
    body = path.read_bytes()
    chunks, done = parse_sse_output(_translate(body))
    check_contract(chunks, done=done)
    if not _complete(_events(body)):
        assert chunks and "error" in chunks[-1], "an incomplete or failed stream must end with an error event"
        assert not done


@pytest.mark.parametrize("path", RECORDINGS, ids=_name)
def test_random_cuts_give_the_same_output(path: Path) -> None:
    body = path.read_bytes()
    whole = _translate(body)
    rng = random.Random(zlib.crc32(path.name.encode()))
    for _ in range(3):
        offsets = sorted(rng.sample(range(1, len(body)), min(len(body) - 1, 40)))
        pieces = [body[a:b] for a, b in pairwise([0, *offsets, len(body)])]
        assert _translate(body, pieces) == whole, f"cut at {offsets}"


COMPLETE = [path for path in RECORDINGS if _complete(_events(path.read_bytes()))]


def test_most_recordings_are_complete_streams() -> None:
    assert len(COMPLETE) >= len(RECORDINGS) - 1  # only the error fragment is not a whole stream


@pytest.mark.parametrize("path", COMPLETE, ids=_name)
def test_fold_matches_the_anthropic_sdk(path: Path) -> None:
    body = path.read_bytes()
    events = _events(body)
    chunks, done = parse_sse_output(_translate(body))
    assert done
    ours = fold(chunks)
    theirs = _sdk_fold(events)
    (choice,) = ours.choices

    text = "".join(block.text for block in theirs.content if block.type == "text")
    assert (choice.message.content or "") == text

    thinking = "".join(block.thinking for block in theirs.content if block.type == "thinking")
    reasoning = "".join(c["choices"][0]["delta"].get("reasoning_content") or "" for c in chunks if c.get("choices"))
    assert reasoning == thinking
    signatures = [block.signature for block in theirs.content if block.type == "thinking"]
    sent = [
        d["signature"]
        for c in chunks
        if c.get("choices")
        for d in c["choices"][0]["delta"].get("reasoning_details") or []
        if "signature" in d
    ]
    assert sent == signatures

    finish = ANTHROPIC_FINISH.get(theirs.stop_reason, "stop")
    assert choice.finish_reason == finish

    tools = [block for block in theirs.content if block.type == "tool_use"]
    calls = choice.message.tool_calls or []
    assert [(c.id, c.function.name) for c in calls] == [(t.id, t.name) for t in tools]
    if finish == "tool_calls":
        assert [json.loads(c.function.arguments) for c in calls] == [t.input for t in tools]

    usage = theirs.usage
    prompt = usage.input_tokens + (usage.cache_read_input_tokens or 0) + (usage.cache_creation_input_tokens or 0)
    assert ours.usage is not None
    assert (ours.usage.prompt_tokens, ours.usage.completion_tokens) == (prompt, usage.output_tokens)
    assert ours.usage.total_tokens == prompt + usage.output_tokens


GEMINI_ARRAYS = sorted((REAL / "gemini").glob("*.json")) if REAL is not None else []


@pytest.mark.parametrize("path", GEMINI_ARRAYS, ids=_name)
def test_gemini_array_body_decodes_element_by_element_at_any_cut(path: Path) -> None:
    from translators.events import JSONArrayDecoder

    body = path.read_bytes()
    expected = json.loads(body)
    rng = random.Random(zlib.crc32(path.name.encode()))
    for _ in range(5):
        offsets = sorted(rng.sample(range(1, len(body)), min(len(body) - 1, 60)))
        pieces = [body[a:b] for a, b in pairwise([0, *offsets, len(body)])]
        decoder = JSONArrayDecoder()
        assert [e for piece in pieces for e in decoder.decode(piece)] + decoder.flush() == expected
