"""Replay the real recorded Gemini streams and compare our output with google-genai's reading of them.

The recordings live outside the project (see tests/test_real_streams.py for where); without them the
parametrized tests collect nothing. ``.sse`` is the ``alt=sse`` body, ``.json`` the JSON-array body, and
``.jsonl`` one response per line (the recorder dropped the SSE framing): those are re-framed as SSE.

For every recording: the output contract holds; any cutting of the body gives the same bytes; and, per
candidate, the openai fold of our output agrees with what ``google.genai.types.GenerateContentResponse``
says of the same chunks (text, thoughts, function-call names and arguments, finish reason, usage). The
Vertex recordings stream arguments as ``partialArgs``, which google-genai does not assemble: their final
arguments are written down below from reading the recordings.
"""

from __future__ import annotations

import json
import random
import zlib
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from tests.contract import check_contract, fold, parse_sse_output
from tests.test_real_streams import REAL
from translators import stream
from translators.providers.gemini import FINISH_REASONS
from translators.sse import SSEDecoder

CREATED = 1_700_000_000
RECORDINGS = sorted(p for p in (REAL / "gemini").iterdir() if p.suffix in (".sse", ".json", ".jsonl")) if REAL else []

STREAMED_ARGUMENTS = {  # recording → the arguments its partialArgs describe, call by call
    "vertex-streaming-function-call-partial-args": [{"location": "Boston"}, {"location": "San Francisco"}],
    "vertex-thought-and-parallel-function-calls-partial-args": [{}, {"id": "A"}, {"id": "B"}, {"id": "C"}],
}


def _body(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix != ".jsonl":
        return data
    return b"".join(b"data: " + line + b"\r\n\r\n" for line in data.splitlines() if line.strip())


def _chunks(path: Path) -> list[dict[str, Any]]:
    body = _body(path)
    if body.lstrip()[:1] == b"[":
        chunks: list[dict[str, Any]] = json.loads(body)
        return chunks
    decoder = SSEDecoder()
    return [json.loads(frame.data) for frame in decoder.decode(body) + decoder.flush() if frame.data]


def _output(pieces: list[bytes]) -> bytes:
    return b"".join(stream("gemini", pieces, created=CREATED))


def test_the_recordings_are_there_when_the_folder_is() -> None:
    if REAL is not None:
        assert len(RECORDINGS) >= 10


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_contract_and_completion(path: Path) -> None:
    chunks, done = parse_sse_output(_output([_body(path)]))
    check_contract(chunks, done=done, usage=True if done else None)
    assert done, chunks[-1]  # every recording is a complete stream (or a blocked prompt)


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_any_cutting_gives_the_same_bytes(path: Path) -> None:
    body = _body(path)
    whole = _output([body])
    rng = random.Random(zlib.crc32(path.name.encode()))
    for _ in range(6):
        offsets = sorted(rng.sample(range(1, len(body)), min(len(body) - 1, rng.randint(1, 80))))
        assert _output([body[a:b] for a, b in pairwise([0, *offsets, len(body)])]) == whole, offsets


def _validated(raw: dict[str, Any]) -> Any:
    """google-genai's model of one chunk; ``usageMetadata.serviceTier`` is on the wire but not in the
    installed google-genai (which forbids unknown fields), so it is left out."""
    from google.genai import types

    raw = {**raw, "usageMetadata": {k: v for k, v in raw.get("usageMetadata", {}).items() if k != "serviceTier"}}
    return types.GenerateContentResponse.model_validate(raw)


def _google_view(chunks: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Per candidate index: what google-genai's models say the chunks hold."""
    view: dict[int, dict[str, Any]] = {}
    for raw in chunks:
        response = _validated(raw)
        for candidate in response.candidates or []:
            seen = view.setdefault(candidate.index or 0, {"text": "", "thoughts": "", "calls": [], "finish": None})
            for part in (candidate.content.parts if candidate.content else None) or []:
                if part.text is not None:
                    seen["thoughts" if part.thought else "text"] += part.text
                call = part.function_call
                if call is not None and call.name:
                    seen["calls"].append((call.name, call.args))
            if candidate.finish_reason is not None:
                seen["finish"] = candidate.finish_reason.value
    return view


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_fold_matches_google_genai(path: Path) -> None:
    chunks = _chunks(path)
    ours, _ = parse_sse_output(_output([_body(path)]))
    snapshot = fold(ours)
    view = _google_view(chunks)
    if not view:  # a blocked prompt: no candidates
        (choice,) = snapshot.choices
        assert choice.finish_reason == "content_filter"
        return
    assert [c.index for c in snapshot.choices] == sorted(view)
    streamed = STREAMED_ARGUMENTS.get(path.stem)
    for choice in snapshot.choices:
        theirs = view[choice.index]
        message = choice.message
        assert (message.content or "") == theirs["text"]
        assert ((message.model_extra or {}).get("reasoning_content") or "") == theirs["thoughts"]
        calls = message.tool_calls or []
        assert [c.function.name for c in calls] == [name for name, _ in theirs["calls"]]
        arguments = [json.loads(c.function.arguments) for c in calls]
        assert arguments == (streamed or [args or {} for _, args in theirs["calls"]])
        expected = FINISH_REASONS.get(theirs["finish"], "stop")
        assert choice.finish_reason == ("tool_calls" if expected == "stop" and calls else expected)
    last = _validated(chunks[-1]).usage_metadata
    assert last is not None and snapshot.usage is not None
    assert snapshot.usage.prompt_tokens == (last.prompt_token_count or 0) + (last.tool_use_prompt_token_count or 0)
    assert snapshot.usage.completion_tokens == (last.candidates_token_count or 0) + (last.thoughts_token_count or 0)
    assert snapshot.usage.total_tokens == last.total_token_count


@pytest.mark.parametrize("path", [p for p in RECORDINGS if "grounding" in p.stem], ids=lambda p: p.stem)
def test_grounding_spans_cover_the_text_google_says_they_support(path: Path) -> None:
    """Gemini's segment offsets count UTF-8 bytes (the recording has "°F"); ours count code points."""
    ours, _ = parse_sse_output(_output([_body(path)]))
    message = fold(ours).choices[0].message
    supports = [
        s
        for c in _chunks(path)
        for s in (c["candidates"][0].get("groundingMetadata") or {}).get("groundingSupports", [])
    ]
    assert message.annotations
    texts = {s["segment"]["text"] for s in supports}
    assert any(not text.isascii() for text in texts)
    for annotation in message.annotations:
        cited = annotation.url_citation
        assert message.content[cited.start_index : cited.end_index] in texts
