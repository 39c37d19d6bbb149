"""Every event of every Anthropic fixture is a valid event by the anthropic SDK's own types.

The fixtures are hand-written (modelled on real recordings), so this is what keeps them honest: each SSE
event is validated with pydantic, in strict JSON mode, against ``anthropic.types.RawMessageStreamEvent``
(or the beta union for beta-only block types), and every model in the result must have no extra fields.

Why both: the SDK's models are ``extra="allow"`` (a misspelled or invented field would be kept silently)
and lax mode coerces (``"index": "0"`` would pass as ``0``). Strict mode plus the no-extras walk make a
wrong field name or type fail; `test_validation_can_fail` proves it with deliberately broken events.

Exceptions, all explicit:

* ``ping``: not in the SDK's event union (its stream reader drops pings); must be exactly ``{"type": "ping"}``.
* ``error``: validated against ``anthropic.types.ErrorResponse`` instead; ``error.details`` is allowed as an
  extra field because the API sends it (``"details": null`` in a real recording) and the SDK has no field.
* `UNKNOWN_EVENTS`: the deliberate future event type of one fixture; it must validate against neither union.
* Beta-only shapes (`BETA_BLOCK_TYPES`, `BETA_DELTA_TYPES`, `BETA_MESSAGE_DELTA_FIELDS`) validate against
  ``anthropic.types.beta.BetaRawMessageStreamEvent``, and must *not* validate cleanly against the GA union
  (so the beta list cannot hide a GA event that is simply wrong).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from translators.check import discover
from translators.sse import SSEDecoder

anthropic_types = pytest.importorskip("anthropic.types")
from anthropic.types import ErrorResponse, RawMessageStreamEvent  # noqa: E402
from anthropic.types.beta import BetaRawMessageStreamEvent  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CASES = [case for case in discover([ROOT / "fixtures"]) if case.provider == "anthropic"]

GA = TypeAdapter(RawMessageStreamEvent)
BETA = TypeAdapter(BetaRawMessageStreamEvent)
ERROR = TypeAdapter(ErrorResponse)

BETA_BLOCK_TYPES = frozenset({"mcp_tool_use", "mcp_tool_result", "compaction"})
"""content_block types that only ``anthropic.types.beta`` knows."""
BETA_DELTA_TYPES = frozenset({"compaction_delta"})
BETA_MESSAGE_DELTA_FIELDS = frozenset({"context_management"})
BETA_USAGE_FIELDS = frozenset({"iterations"})

UNKNOWN_EVENTS = {("unknown-future-event", "message_annotation")}
"""(case stem, event type): event types invented on purpose, to check that the translator ignores them."""

ALLOWED_EXTRAS = {("error", "$.error", "details")}
"""(event type, path, field): fields the API sends that the SDK's models do not declare."""


def _stem(path: Path) -> str:
    return path.name.split(".", 1)[0]


def sse_events(body: bytes) -> list[tuple[str, str]]:
    """(SSE event name, data) of every event in a body, as the translator's own decoder frames them."""
    decoder = SSEDecoder()
    frames = decoder.decode(body) + decoder.flush()
    return [(frame.event, frame.data) for frame in frames]


def extras(value: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """(path, field) of every field that a model kept only because of ``extra="allow"``."""
    if isinstance(value, BaseModel):
        for key in value.model_extra or {}:
            yield path, key
        for key in type(value).model_fields:
            yield from extras(getattr(value, key), f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for n, item in enumerate(value):
            yield from extras(item, f"{path}[{n}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from extras(item, f"{path}.{key}")


def validate(adapter: TypeAdapter[Any], data: str, etype: str) -> BaseModel:
    """Strict JSON validation, then no undeclared field anywhere (except `ALLOWED_EXTRAS`)."""
    model = adapter.validate_json(data, strict=True)
    unexpected = [(p, k) for p, k in extras(model) if (etype, p, k) not in ALLOWED_EXTRAS]
    if unexpected:
        raise AssertionError(f"fields the SDK does not declare: {unexpected}")
    return model


def needs_beta(event: dict[str, Any]) -> bool:
    block = event.get("content_block") or {}
    delta = event.get("delta") or {}
    usage = event.get("usage") or {}
    return (
        block.get("type") in BETA_BLOCK_TYPES
        or (event["type"] == "content_block_delta" and delta.get("type") in BETA_DELTA_TYPES)
        or (event["type"] == "message_delta" and bool(BETA_MESSAGE_DELTA_FIELDS & set(event)))
        or (event["type"] == "message_delta" and bool(BETA_USAGE_FIELDS & set(usage)))
    )


def clean_against(adapter: TypeAdapter[Any], data: str, etype: str) -> bool:
    try:
        validate(adapter, data, etype)
    except (ValidationError, AssertionError):
        return False
    return True


def check_event(stem: str, name: str, data: str) -> str:
    """Validate one SSE event of fixture ``stem``; returns which rule applied. Raises if it is invalid."""
    event = json.loads(data)
    etype = event["type"]
    assert name == etype, f"SSE event name {name!r} differs from the JSON type {etype!r}"
    if etype == "ping":
        assert data == '{"type": "ping"}', data  # as the API writes it, with a space
        return "ping"
    if etype == "error":
        validate(ERROR, data, etype)
        return "error"
    if (stem, etype) in UNKNOWN_EVENTS:
        assert not clean_against(GA, data, etype) and not clean_against(BETA, data, etype), "not unknown"
        return "unknown"
    if needs_beta(event):
        assert not clean_against(GA, data, etype), "listed as beta-only but the GA types accept it"
        validate(BETA, data, etype)
        return "beta"
    validate(GA, data, etype)
    return "ga"


@pytest.mark.parametrize("case", CASES, ids=lambda c: _stem(c.source))
def test_every_event_validates_against_the_sdk_types(case: Any) -> None:
    events = sse_events(case.source.read_bytes())
    assert events, "no events"
    for n, (name, data) in enumerate(events):
        try:
            check_event(_stem(case.source), name, data)
        except (ValidationError, AssertionError) as exc:
            raise AssertionError(f"event #{n + 1} ({name}) of {case.name}: {exc}\n{data[:300]}") from None


@pytest.mark.parametrize("case", CASES, ids=lambda c: _stem(c.source))
def test_event_grammar(case: Any) -> None:
    """Fixtures follow the streaming grammar: message_start, blocks start → delta* → stop, message_delta,
    message_stop; an error event ends the stream; only the truncated case ends without either."""
    events = [json.loads(data) for _, data in sse_events(case.source.read_bytes())]
    events = [e for e in events if e["type"] != "ping" and (_stem(case.source), e["type"]) not in UNKNOWN_EVENTS]
    if events[0]["type"] == "error":
        assert len(events) == 1
        return
    assert events[0]["type"] == "message_start"
    open_blocks: dict[int, str] = {}
    seen: set[int] = set()
    last = events[-1]["type"]
    for e in events[1:]:
        kind = e["type"]
        if kind == "content_block_start":
            assert e["index"] not in seen and e["index"] == len(seen), "block indices count from 0"
            seen.add(e["index"])
            open_blocks[e["index"]] = e["content_block"]["type"]
        elif kind == "content_block_delta":
            assert e["index"] in open_blocks
        elif kind == "content_block_stop":
            del open_blocks[e["index"]]
        elif kind == "message_delta":
            assert not open_blocks, "message_delta with a block still open"
    if last == "message_stop":
        assert [e["type"] for e in events[-2:]] == ["message_delta", "message_stop"]
    elif last != "error":
        assert _stem(case.source).startswith("truncated"), "only the truncated case may end mid-stream"


def test_fixture_set_covers_every_rule() -> None:
    """The exception lists are all used (a stale entry would hide nothing, but would mislead)."""
    rules: set[str] = set()
    block_types: set[str] = set()
    delta_types: set[str] = set()
    for case in CASES:
        for name, data in sse_events(case.source.read_bytes()):
            rules.add(check_event(_stem(case.source), name, data))
            event = json.loads(data)
            if "content_block" in event:
                block_types.add(event["content_block"]["type"])
            if event["type"] == "content_block_delta":
                delta_types.add(event["delta"]["type"])
    assert rules == {"ping", "error", "unknown", "beta", "ga"}
    assert block_types >= BETA_BLOCK_TYPES
    assert delta_types >= BETA_DELTA_TYPES
    assert block_types >= {
        "text",
        "thinking",
        "redacted_thinking",
        "tool_use",
        "server_tool_use",
        "web_search_tool_result",
        "bash_code_execution_tool_result",
    }
    assert delta_types >= {"text_delta", "thinking_delta", "signature_delta", "input_json_delta", "citations_delta"}


# -- the validation is strict enough to fail -----------------------------------------------------------


def _event(stem: str, etype: str, pred: Any = lambda e: True) -> dict[str, Any]:
    for case in CASES:
        if _stem(case.source) == stem:
            for _, data in sse_events(case.source.read_bytes()):
                event = json.loads(data)
                if event["type"] == etype and pred(event):
                    return event
    raise LookupError((stem, etype))


def _broken() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    text_delta = _event("text-pings-padding", "content_block_delta")
    tool_start = _event("tool-use-streamed-input", "content_block_start", lambda e: e["index"] == 1)
    msg_start = _event("text-pings-padding", "message_start")
    msg_delta = _event("text-pings-padding", "message_delta")
    sig_delta = _event("thinking-signature-then-text", "content_block_delta", lambda e: "signature" in e["delta"])
    mcp_start = _event("mcp-tool-use-and-result", "content_block_start", lambda e: e["index"] == 0)
    error = _event("overloaded-error-first-event", "error")
    cases: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def mutate(label: str, event: dict[str, Any], change: Any) -> None:
        broken = copy.deepcopy(event)
        change(broken)
        cases.append((label, event, broken))

    mutate("index as a string", text_delta, lambda e: e.update(index="0"))
    mutate("text as a number", text_delta, lambda e: e["delta"].update(text=5))
    mutate("unknown delta type", text_delta, lambda e: e["delta"].update(type="text_deltaa"))
    mutate("misspelled field", text_delta, lambda e: e["delta"].update(txt=e["delta"].pop("text")))
    mutate("invented extra field", text_delta, lambda e: e.update(priority=1))
    mutate("unknown block type", tool_start, lambda e: e["content_block"].update(type="tool_call"))
    mutate("tool input as a string", tool_start, lambda e: e["content_block"].update(input="{}"))
    mutate("tool id missing", tool_start, lambda e: e["content_block"].pop("id"))
    mutate("role user", msg_start, lambda e: e["message"].update(role="user"))
    mutate("input_tokens as float", msg_start, lambda e: e["message"]["usage"].update(input_tokens=1.5))
    mutate("unknown stop_reason", msg_delta, lambda e: e["delta"].update(stop_reason="finished"))
    mutate("output_tokens missing", msg_delta, lambda e: e["usage"].pop("output_tokens"))
    mutate("signature as null", sig_delta, lambda e: e["delta"].update(signature=None))
    mutate("mcp block without server_name", mcp_start, lambda e: e["content_block"].pop("server_name"))
    mutate("unknown error type", error, lambda e: e["error"].update(type="bogus_error"))
    mutate("error message missing", error, lambda e: e["error"].pop("message"))
    return cases


BROKEN = _broken()


@pytest.mark.parametrize(("label", "original", "broken"), BROKEN, ids=[label for label, _, _ in BROKEN])
def test_validation_can_fail(label: str, original: dict[str, Any], broken: dict[str, Any]) -> None:
    check_event("broken", original["type"], json.dumps(original))  # the unbroken event passes ...
    with pytest.raises((ValidationError, AssertionError)):  # ... and the one-field change does not
        check_event("broken", broken["type"], json.dumps(broken))


def test_strict_mode_is_what_rejects_coercion() -> None:
    """Lax validation would accept ``"index": "0"``: the strict flag is load-bearing, not decoration."""
    event = _event("text-pings-padding", "content_block_delta")
    event["index"] = "0"
    GA.validate_json(json.dumps(event))  # lax: coerced, no error
    with pytest.raises(ValidationError):
        GA.validate_json(json.dumps(event), strict=True)


def test_extra_fields_are_kept_silently_by_the_sdk() -> None:
    """The SDK's models allow extra fields: only the `extras` walk catches a misspelled one."""
    event = _event("text-pings-padding", "content_block_stop")
    event["indexx"] = 0
    model = GA.validate_json(json.dumps(event), strict=True)
    assert list(extras(model)) == [("$", "indexx")]
