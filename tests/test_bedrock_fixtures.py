"""Keep the hand-written Bedrock ConverseStream bodies in fixtures/bedrock/ honest.

Each case is ``<case>.events.jsonl`` (one event dict per line, as `JSONFrameDecoder` decodes the wire:
``{"contentBlockDelta": {"contentBlockIndex": 0, "delta": {...}, "p": "abc"}}``; an exception message is
``{"error": {"type": ..., "message": ..., <its other members>}}``) and ``<case>.eventstream``, the binary
body encoded from it with `encode_event`. Regenerate the bodies after editing a source with::

    /tmp/venv/bin/python -m tests.test_bedrock_fixtures --write

and the goldens with ``python -m translators check --update fixtures/bedrock``.

The checks: every body is exactly the encoding of its source; every event validates against botocore's
``ConverseStreamOutput`` model of ``bedrock-runtime`` (one member per event and per union, known member
names only, the right types, enum values, patterns and bounds, required members present, a ``Document``
any JSON); payload keys are in the wire's order (sorted, as in the real recordings; ``Document`` values
keep the model's own order); the ``"p"`` padding is on every event payload's top level and nowhere else;
the events follow the ConverseStream grammar. The mutation tests at the end prove the validator fails.

Documented exceptions (seen in real recordings, not in botocore's model):

* ``contentBlockStart.start.toolUse.type`` ``"tool_use"`` (Nova sends it for client tools; the model's
  ``ToolUseType`` enum only has ``server_tool_use``);
* ``metadata.usage.serverToolUsage`` (Nova: ``{}``), not a ``TokenUsage`` member in botocore.
* ``truncated-mid-frame.eventstream`` is its source's encoding minus the last `TRUNCATED_BYTES` bytes:
  the body ends inside the last message.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from translators.errors import TranslationError
from translators.eventstream import JSONFrameDecoder, encode_event

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "bedrock"
SOURCE_SUFFIX = ".events.jsonl"
CASES = (
    "citations-document-claude",
    "citations-web-nova",
    "guardrail-intervened",
    "latency-optimized-service-tier",
    "max-tokens-llama",
    "model-stream-error-midstream",
    "nova-code-interpreter-then-client-tool",
    "options-fixed-id-no-usage",
    "parallel-tool-uses-no-input",
    "reasoning-signature-then-text",
    "redacted-reasoning-then-text",
    "stop-sequence-additional-fields",
    "text-cache-read-write",
    "throttling-after-text",
    "tool-use-fragmented-input",
    "truncated-after-message-stop",
    "truncated-mid-frame",
)
"""The cases this module checks and `write` encodes (listed, not globbed: see the README)."""
SOURCES = [FIXTURES / f"{case}{SOURCE_SUFFIX}" for case in CASES]
MIN_CASES = 12
PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

TRUNCATED_BYTES = {"truncated-mid-frame": 11}
"""Cases whose body is cut inside its last message: bytes dropped from the end of the full encoding."""
NO_METADATA = {"truncated-after-message-stop", "truncated-mid-frame"}
"""Cases that end without the terminal ``metadata`` event (and without an exception)."""

# wire values and members botocore's model does not declare (see the module docstring)
EXTRA_ENUM_VALUES = {"ToolUseType": {"tool_use"}}
EXTRA_MEMBERS = {"TokenUsage": {"serverToolUsage": dict}}


def _stem(path: Path) -> str:
    return path.name[: -len(SOURCE_SUFFIX)]


def _events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def encode(stem: str, events: list[dict[str, Any]]) -> bytes:
    """The ``.eventstream`` body of a case: its events encoded, cut for the `TRUNCATED_BYTES` cases."""
    body = b"".join(encode_event(event) for event in events)
    cut = TRUNCATED_BYTES.get(stem, 0)
    return body[: len(body) - cut]


def write() -> list[Path]:
    """Regenerate every ``.eventstream`` from its ``.events.jsonl``; the paths rewritten."""
    written = []
    for source in SOURCES:
        stem = _stem(source)
        target = FIXTURES / f"{stem}.eventstream"
        body = encode(stem, _events(source))
        if not target.exists() or target.read_bytes() != body:
            target.write_bytes(body)
            written.append(target)
    return written


# -- the validator ----------------------------------------------------------------------------------------


@cache
def _model() -> dict[str, Any]:
    import botocore.loaders

    return botocore.loaders.Loader().load_service_model("bedrock-runtime", "service-2")["shapes"]


def _stream_members() -> dict[str, str]:
    return {name: ref["shape"] for name, ref in _model()["ConverseStreamOutput"]["members"].items()}


def _exception_members() -> set[str]:
    shapes = _model()
    return {name for name, shape in _stream_members().items() if shapes[shape].get("exception")}


def _is_json(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_json(v) for v in value)
    return value is None or isinstance(value, (str, int, float, bool))


def _bounds(shape: dict[str, Any], size: float, what: str, where: str, problems: list[str]) -> None:
    if "min" in shape and size < shape["min"]:
        problems.append(f"{where}: {what} {size} below min {shape['min']}")
    if "max" in shape and size > shape["max"]:
        problems.append(f"{where}: {what} {size} above max {shape['max']}")


def _walk(name: str, value: Any, where: str, problems: list[str]) -> None:
    """Check ``value`` against the model shape ``name``, appending what is wrong to ``problems``."""
    shape = _model()[name]
    kind = shape["type"]
    if kind == "structure" and shape.get("document"):
        if not _is_json(value):
            problems.append(f"{where}: not JSON")
        return
    if kind == "structure":
        if not isinstance(value, dict):
            problems.append(f"{where}: {type(value).__name__}, not a {name} object")
            return
        members = shape["members"]
        extra = EXTRA_MEMBERS.get(name, {})
        if list(value) != sorted(value):
            problems.append(f"{where}: keys {list(value)} not in the wire's (sorted) order")
        for key, item in value.items():
            if key in members:
                _walk(members[key]["shape"], item, f"{where}.{key}", problems)
            elif key in extra:
                if not isinstance(item, extra[key]):
                    problems.append(f"{where}.{key}: not a {extra[key].__name__}")
            else:
                problems.append(f"{where}.{key}: not a member of {name}")
        if shape.get("union") and len(value) != 1:
            problems.append(f"{where}: a {name} union has exactly one member, not {len(value)}")
        missing = [key for key in shape.get("required", ()) if key not in value]
        if missing:
            problems.append(f"{where}: required {missing} missing from {name}")
    elif kind == "list":
        if not isinstance(value, list):
            problems.append(f"{where}: {type(value).__name__}, not a list ({name})")
            return
        _bounds(shape, len(value), "length", where, problems)
        for n, item in enumerate(value):
            _walk(shape["member"]["shape"], item, f"{where}[{n}]", problems)
    elif kind == "map":
        if not isinstance(value, dict):
            problems.append(f"{where}: {type(value).__name__}, not a map ({name})")
            return
        for key, item in value.items():
            _walk(shape["key"]["shape"], key, f"{where} key {key!r}", problems)
            _walk(shape["value"]["shape"], item, f"{where}[{key!r}]", problems)
    elif kind == "string":
        if not isinstance(value, str):
            problems.append(f"{where}: {type(value).__name__}, not a string ({name})")
            return
        allowed = shape.get("enum")
        if allowed is not None and value not in allowed and value not in EXTRA_ENUM_VALUES.get(name, ()):
            problems.append(f"{where}: {value!r} is not a {name} ({allowed})")
        _bounds(shape, len(value), "length", where, problems)
        if "pattern" in shape and re.fullmatch(shape["pattern"], value) is None:
            problems.append(f"{where}: {value!r} does not match {name}'s pattern {shape['pattern']}")
        if name == "NonBlankString" and not value.strip():
            problems.append(f"{where}: blank")
    elif kind == "blob":  # base64 in the JSON payload
        try:
            data = base64.b64decode(value, validate=True) if isinstance(value, str) else None
        except binascii.Error:
            data = None
        if data is None:
            problems.append(f"{where}: not a base64 string ({name})")
        else:
            _bounds(shape, len(data), "size", where, problems)
    elif kind in ("integer", "long"):
        if type(value) is not int:
            problems.append(f"{where}: {type(value).__name__}, not an integer ({name})")
        else:
            _bounds(shape, value, "value", where, problems)
    elif kind in ("double", "float"):
        if type(value) not in (int, float):
            problems.append(f"{where}: {type(value).__name__}, not a number ({name})")
        else:
            _bounds(shape, value, "value", where, problems)
    elif kind == "boolean":
        if type(value) is not bool:
            problems.append(f"{where}: {type(value).__name__}, not a boolean ({name})")
    else:  # no timestamp is streamed
        problems.append(f"{where}: unexpected {kind} shape {name}")


def problems(event: Any) -> list[str]:
    """What is wrong with one event dict, as a ConverseStream message (empty when it is right)."""
    if not isinstance(event, dict) or len(event) != 1:
        return ["$: an event dict has exactly one key"]
    ((etype, payload),) = event.items()
    found: list[str] = []
    if etype == "error":  # an exception message: {"error": {"type", "message", <its other members>}}
        if not isinstance(payload, dict) or not {"type", "message"} <= set(payload):
            return ["$.error: an exception has a type and a message"]
        kind = payload["type"]
        if kind not in _exception_members():
            return [f"$.error.type: {kind!r} is not an exception of ConverseStreamOutput"]
        _walk(_stream_members()[kind], {k: v for k, v in payload.items() if k != "type"}, f"$.{kind}", found)
        return found
    members = _stream_members()
    if etype not in members or etype in _exception_members():
        return [f"$.{etype}: not an event of ConverseStreamOutput"]
    if not isinstance(payload, dict):
        return [f"$.{etype}: not an object"]
    pad = payload.get("p")
    if not (isinstance(pad, str) and pad and PADDING.startswith(pad)):
        found.append(f"$.{etype}.p: missing, or not a prefix of {PADDING!r}")
    if list(payload) != sorted(payload):
        found.append(f"$.{etype}: keys {list(payload)} not in the wire's (sorted) order")
    rest = {key: value for key, value in payload.items() if key != "p"}
    _walk(members[etype], rest, f"$.{etype}", found)
    return found


def grammar(events: list[dict[str, Any]]) -> list[str]:
    """What breaks the ConverseStream grammar: messageStart, blocks (an optional start, deltas, a stop),
    messageStop, metadata; an exception only last. A stream may stop early (truncated)."""
    found: list[str] = []
    names = [next(iter(event)) for event in events]
    if names[:1] != ["messageStart"] or names.count("messageStart") != 1:
        found.append("not exactly one messageStart, first")
    if "error" in names[:-1]:
        found.append("an exception before the last event")
    if "metadata" in names and names.index("metadata") != len(names) - 1:
        found.append("metadata is not the last event")
    if "metadata" in names and "messageStop" not in names[: names.index("metadata")]:
        found.append("metadata without messageStop before it")
    state: dict[int, str] = {}  # index -> started / delta / stopped
    stopped_message = False
    for n, (name, event) in enumerate(zip(names, events, strict=True)):
        payload = event[name]
        if name in ("contentBlockStart", "contentBlockDelta", "contentBlockStop"):
            if stopped_message:
                found.append(f"event {n}: {name} after messageStop")
            index = payload["contentBlockIndex"]
            if index not in state and index != len(state):
                found.append(f"event {n}: block {index} opened out of order")
            if any(s != "stopped" for i, s in state.items() if i != index):
                found.append(f"event {n}: block {index} while another block is open")
            previous = state.get(index)
            if previous == "stopped":
                found.append(f"event {n}: block {index} already stopped")
            elif name == "contentBlockStart" and previous is not None:
                found.append(f"event {n}: block {index} started twice or after a delta")
            elif name == "contentBlockStart" and not {"toolUse", "toolResult", "image"} & set(payload["start"]):
                found.append(f"event {n}: a start for a block that has none")
            state[index] = {"contentBlockStart": "started", "contentBlockDelta": "delta"}.get(name, "stopped")
        elif name == "messageStop":
            stopped_message = True
            if any(s != "stopped" for s in state.values()):
                found.append(f"event {n}: messageStop with a block open")
    return found


# -- the fixtures -----------------------------------------------------------------------------------------


def _ids(path: Path) -> str:
    return _stem(path)


def test_enough_cases_each_with_body_golden_and_readme_entry() -> None:
    assert len(SOURCES) >= MIN_CASES, [p.name for p in SOURCES]
    readme = (FIXTURES / "README.md").read_text("utf-8")
    for source in SOURCES:
        stem = _stem(source)
        assert (FIXTURES / f"{stem}.eventstream").is_file(), stem
        assert (FIXTURES / f"{stem}.openai.sse").is_file(), f"{stem}: no golden (python -m translators check --update)"
        assert f"`{stem}`" in readme, f"{stem} not in fixtures/bedrock/README.md"
    assert {*TRUNCATED_BYTES, *NO_METADATA} <= set(CASES)


def test_the_folder_holds_only_the_listed_cases() -> None:
    stems = {path.name.split(".", 1)[0] for path in FIXTURES.iterdir() if path.name != "README.md"}
    assert stems == set(CASES), "add the case to CASES (and the README), or remove its files"


@pytest.mark.parametrize("source", SOURCES, ids=_ids)
def test_body_is_the_encoding_of_its_source(source: Path) -> None:
    stem = _stem(source)
    events = _events(source)
    body = (FIXTURES / f"{stem}.eventstream").read_bytes()
    assert body == encode(stem, events), "stale body: python -m tests.test_bedrock_fixtures --write"
    decoder = JSONFrameDecoder()
    decoded = decoder.decode(body)
    if stem in TRUNCATED_BYTES:
        assert 0 < TRUNCATED_BYTES[stem] < len(encode_event(events[-1])), "the cut must fall inside the last message"
        assert decoded == events[:-1]
        with pytest.raises(TranslationError, match="ended inside an event-stream frame"):
            decoder.flush()
        return
    assert decoder.flush() == []
    plain = [
        e if "error" not in e else {"error": {k: v for k, v in e["error"].items() if k != "headers"}} for e in decoded
    ]
    assert plain == events


@pytest.mark.parametrize("source", SOURCES, ids=_ids)
def test_source_lines_are_compact_json(source: Path) -> None:
    for line in source.read_text("utf-8").splitlines():
        assert json.dumps(json.loads(line), ensure_ascii=False, separators=(",", ":")) == line


@pytest.mark.parametrize("source", SOURCES, ids=_ids)
def test_every_event_is_a_converse_stream_output_member(source: Path) -> None:
    for n, event in enumerate(_events(source)):
        found = problems(event)
        assert not found, f"event {n}: {found}"


@pytest.mark.parametrize("source", SOURCES, ids=_ids)
def test_events_follow_the_grammar(source: Path) -> None:
    stem = _stem(source)
    events = _events(source)
    assert not grammar(events)
    last = next(iter(events[-1]))
    if stem in NO_METADATA:
        assert last not in ("metadata", "error")
    else:
        assert last in ("metadata", "error"), "a complete stream ends with metadata or an exception"
    for event in events:
        usage = event.get("metadata", {}).get("usage")
        if usage:  # Bedrock's total counts the cache reads and writes too
            parts = ("inputTokens", "outputTokens", "cacheReadInputTokens", "cacheWriteInputTokens")
            assert usage["totalTokens"] == sum(usage.get(k, 0) for k in parts)


def test_padding_lengths_vary() -> None:
    lengths = {len(e[next(iter(e))]["p"]) for s in SOURCES for e in _events(s) if "error" not in e}
    assert len(lengths) > 20


# -- the checks can fail ----------------------------------------------------------------------------------

_GOOD = [
    {"messageStart": {"p": "abcdefgh", "role": "assistant"}},
    {
        "contentBlockStart": {
            "contentBlockIndex": 0,
            "p": "abc",
            "start": {"toolUse": {"name": "get_time", "toolUseId": "tooluse_abc123", "type": "tool_use"}},
        }
    },
    {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"toolUse": {"input": "{}"}}, "p": "abcd"}},
    {"contentBlockStop": {"contentBlockIndex": 0, "p": "abcdefghijklmnop"}},
    {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"text": "Hi"}, "p": "abcdefghijklmnopqrstuvwxyzAB"}},
    {
        "contentBlockDelta": {
            "contentBlockIndex": 1,
            "delta": {"citation": {"location": {"documentChar": {"documentIndex": 0, "end": 9, "start": 2}}}},
            "p": "ab",
        }
    },
    {"contentBlockStop": {"contentBlockIndex": 1, "p": "abcdefghijklmnopqrstuvwxyzABCDEFG"}},
    {"messageStop": {"additionalModelResponseFields": {"z": 1, "a": None}, "p": "abcdef", "stopReason": "end_turn"}},
    {
        "metadata": {
            "metrics": {"latencyMs": 12},
            "p": "abcdefghijklm",
            "usage": {"inputTokens": 3, "outputTokens": 2, "serverToolUsage": {}, "totalTokens": 5},
        }
    },
]
_BAD_ERROR = {"error": {"type": "throttlingException", "message": "  "}}


def _mutate(n: int, path: tuple[str | int, ...], change: Any) -> dict[str, Any]:
    event = copy.deepcopy(_GOOD[n])
    target: Any = event
    for step in path:
        target = target[step]
    change(target)
    return event


def test_the_good_stream_passes() -> None:
    assert [problems(e) for e in _GOOD] == [[]] * len(_GOOD)
    assert grammar(_GOOD) == []
    assert problems({"error": {"type": "throttlingException", "message": "Too many requests."}}) == []
    full = {"message": "Model error.", "originalMessage": "Overloaded.", "originalStatusCode": 529}
    assert problems({"error": {"type": "modelStreamErrorException", **full}}) == []


def test_a_misspelt_key_fails() -> None:
    bad = _mutate(4, ("contentBlockDelta",), lambda d: d.update(contentBlockIndx=d.pop("contentBlockIndex")))
    found = problems(bad)
    assert "$.contentBlockDelta.contentBlockIndx: not a member of ContentBlockDeltaEvent" in found
    assert "$.contentBlockDelta: required ['contentBlockIndex'] missing from ContentBlockDeltaEvent" in found
    bad = _mutate(8, ("metadata", "usage"), lambda u: u.update(inputToken=u.pop("inputTokens")))
    assert "$.metadata.usage.inputToken: not a member of TokenUsage" in problems(bad)
    assert problems({"messageStrat": {"p": "a", "role": "assistant"}}) == [
        "$.messageStrat: not an event of ConverseStreamOutput"
    ]


def test_a_wrong_enum_value_fails() -> None:
    bad = _mutate(7, ("messageStop",), lambda d: d.update(stopReason="end-turn"))
    assert any("'end-turn' is not a StopReason" in p for p in problems(bad))
    bad = _mutate(0, ("messageStart",), lambda d: d.update(role="model"))
    assert any("'model' is not a ConversationRole" in p for p in problems(bad))
    bad = _mutate(1, ("contentBlockStart", "start", "toolUse"), lambda t: t.update(type="client_tool_use"))
    assert any("is not a ToolUseType" in p for p in problems(bad))


def test_two_members_in_a_union_fail() -> None:
    bad = _mutate(4, ("contentBlockDelta", "delta"), lambda d: d.update(toolUse={"input": "{}"}))
    assert "$.contentBlockDelta.delta: a ContentBlockDelta union has exactly one member, not 2" in problems(bad)
    loc = ("contentBlockDelta", "delta", "citation", "location")
    bad = _mutate(5, loc, lambda d: d.update(web={"url": "https://example.com"}))
    assert any("a CitationLocation union has exactly one member" in p for p in problems(bad))
    assert problems({"messageStart": {"p": "a", "role": "assistant"}, "messageStop": {}})


def test_a_nested_padding_field_fails() -> None:
    bad = _mutate(4, ("contentBlockDelta", "delta"), lambda d: d.update(p="abc"))
    found = problems(bad)
    assert "$.contentBlockDelta.delta.p: not a member of ContentBlockDelta" in found
    bad = _mutate(8, ("metadata", "usage"), lambda u: u.update(p="ab"))
    assert "$.metadata.usage.p: not a member of TokenUsage" in problems(bad)
    bad = _mutate(3, ("contentBlockStop",), lambda d: d.pop("p"))
    assert any(".p: missing" in p for p in problems(bad))
    bad = _mutate(3, ("contentBlockStop",), lambda d: d.update(p="abd"))
    assert any(".p: missing, or not a prefix" in p for p in problems(bad))


def test_wrong_types_order_and_exceptions_fail() -> None:
    bad = _mutate(3, ("contentBlockStop",), lambda d: d.update(contentBlockIndex="0"))
    assert any("str, not an integer" in p for p in problems(bad))
    bad = _mutate(3, ("contentBlockStop",), lambda d: d.update(contentBlockIndex=-1))
    assert any("below min 0" in p for p in problems(bad))
    bad = _mutate(4, ("contentBlockDelta", "delta"), lambda d: d.update(text=["Hi"]))
    assert any("list, not a string" in p for p in problems(bad))
    bad = _mutate(1, ("contentBlockStart", "start", "toolUse"), lambda t: t.update(toolUseId="tool use!"))
    assert any("does not match ToolUseId's pattern" in p for p in problems(bad))
    unsorted = {"metadata": dict(reversed(list(_GOOD[8]["metadata"].items())))}
    assert any("not in the wire's (sorted) order" in p for p in problems(unsorted))
    blob = {"reasoningContent": {"redactedContent": "not base64!"}}
    bad = _mutate(4, ("contentBlockDelta",), lambda d: d.update(delta=blob))
    assert any("not a base64 string" in p for p in problems(bad))
    assert problems(_BAD_ERROR) == ["$.throttlingException.message: blank"]
    assert problems({"error": {"type": "rateLimitException", "message": "x"}})
    assert problems({"throttlingException": {"message": "x", "p": "a"}})  # exceptions are error dicts here
    assert problems({"error": {"type": "throttlingException", "message": "x", "originalStatusCode": 500}})
    wrong = {"type": "modelStreamErrorException", "message": "x", "originalStatusCode": "500"}
    assert problems({"error": wrong}) == [
        "$.modelStreamErrorException.originalStatusCode: str, not an integer (StatusCode)"
    ]
    unsorted = {"type": "modelStreamErrorException", "originalStatusCode": 500, "message": "x"}
    assert any("sorted" in p for p in problems({"error": unsorted}))


def test_grammar_violations_fail() -> None:
    assert grammar(_GOOD[1:])  # no messageStart
    assert grammar([*_GOOD[:3], _GOOD[4], *_GOOD[3:4]])  # a second block while the first is open
    assert grammar([*_GOOD[:7], _GOOD[8], _GOOD[7]])  # metadata before messageStop
    text_start = {"contentBlockStart": {"contentBlockIndex": 1, "p": "a", "start": {"text": "x"}}}
    assert grammar([*_GOOD[:4], text_start, *_GOOD[4:]])  # text blocks have no start


def test_a_bad_fixture_line_would_be_caught() -> None:
    """The per-event check, run on a real fixture with one key misspelt."""
    source = FIXTURES / "tool-use-fragmented-input.events.jsonl"
    text = source.read_text("utf-8").replace('"toolUseId"', '"toolUseID"', 1)
    assert text != source.read_text("utf-8")
    found = [p for line in text.splitlines() for p in problems(json.loads(line))]
    assert any("toolUseID: not a member of ToolUseBlockStart" in p for p in found)


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.test_bedrock_fixtures --write")
    for path in write():
        print(f"wrote {path.relative_to(ROOT)}")
