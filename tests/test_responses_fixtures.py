"""Keep the hand-written OpenAI Responses bodies in fixtures/openai_responses/ honest.

Every event of every body must be something ``POST /v1/responses`` (``stream: true``) could send:

* the SSE ``event:`` name equals the JSON ``type``;
* the event validates as ``openai.types.responses.ResponseStreamEvent`` and the validated model has that same
  ``type`` (the SDK's union is not a pydantic discriminated union and its models allow extra keys, so this is
  what stops an unknown event type from slipping through a permissive member);
* no key is left over as a pydantic "extra" anywhere in the validated tree, except the wire-only keys listed in
  ``WIRE_ONLY`` (seen in real recordings but not declared by the installed SDK), so a misspelled optional
  field is caught too;
* ``sequence_number`` is on no event or on every event, strictly increasing from 0; ``obfuscation`` only on
  ``*.delta`` events; the body ends with exactly one terminal event (``response.completed`` /
  ``.incomplete`` / ``.failed``) unless it is the truncated case; ``output_item.added`` indexes run 0, 1, 2, …

The installed SDK is stricter than the wire in a few places the real recordings in
``/work/shared/real-streams/openai-responses/`` show. Those gaps are bridged for validation only, by the
shims below; ``test_shims_are_the_documented_ones`` pins which body needs which shim, so a new gap cannot
appear silently:

* ``sequence_number`` — the 2025-03 recordings have none; the SDK requires it (filled with the position).
* ``logprobs`` — absent from ``response.output_text.delta/.done`` in the 2025-03 shape and from xAI's
  ``output_text.done``; the SDK requires it (filled with ``[]``).
* ``cache_write_tokens`` — only gpt-5.5 sends ``usage.input_tokens_details.cache_write_tokens``; the SDK
  requires it (filled with 0).
* ``web_search_action`` — ``output_item.added`` of a ``web_search_call`` has no ``action`` yet (real gpt-5.2
  recording); the SDK requires it (filled with ``{"type": "search"}``).
* ``error_code`` — ``response.error.code`` ``insufficient_quota`` (real recording) is not in the SDK's literal.
* ``nested_error`` — the real ``error`` event nests ``{type, code, message, param}`` under ``"error"``
  (openai/openai-dotnet#881); the SDK (and the API reference) put ``code/message/param`` at the top level.

When the real recordings are present (``../shared/real-streams`` beside the repo root, or the folder named by
``TRANSLATORS_REAL_STREAMS``, as in ``test_real_streams.py``), they go through the same validation, and
every shim must be needed by at least one of them: the shims bridge real wire data, not fixture mistakes.

One body is framed the OpenRouter way (``DATA_ONLY``): a ``:`` comment line, ``data:`` lines without
``event:``, and a final ``data: [DONE]``.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pydantic
import pytest
from openai.types.responses import ResponseStreamEvent

from translators.sse import SSEDecoder

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "openai_responses"
BODIES = sorted(p for p in FIXTURES.glob("*.sse") if not p.name.endswith(".openai.sse"))
MIN_CASES = 15
TERMINAL = frozenset({"response.completed", "response.incomplete", "response.failed"})
TRUNCATED = frozenset({"truncated-mid-text-no-terminal-event.sse"})
DATA_ONLY = frozenset({"openrouter-gpt-oss-data-only-comment-done.sse"})
DONE = "[DONE]"
ADAPTER: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(ResponseStreamEvent)

# error codes seen on the wire in response.error.code that the SDK's literal does not list
WIRE_ERROR_CODES = frozenset({"insufficient_quota"})

# model class name -> keys the wire carries there that the installed SDK does not declare
WIRE_ONLY: dict[str, frozenset[str]] = {
    # every real recording sends "store"; gpt-5.2/5.5 add the two penalties; OpenRouter repeats an (empty)
    # output_text and puts its billing into usage; xAI adds its search counters to usage
    "Response": frozenset({"store", "frequency_penalty", "presence_penalty", "output_text"}),
    "ResponseUsage": frozenset({"num_sources_used", "num_server_side_tools_used", "cost", "is_byok", "cost_details"}),
}

# body -> shims it needs (see the module docstring); bodies not listed need none
EXPECTED_SHIMS: dict[str, frozenset[str]] = {
    "text-2025-03-no-sequence-number.sse": frozenset({"sequence_number", "logprobs", "cache_write_tokens"}),
    "function-call-2025-03.sse": frozenset({"sequence_number", "cache_write_tokens"}),
    "function-call-args-before-output-item-added.sse": frozenset({"sequence_number", "cache_write_tokens"}),
    "text-sequence-number-obfuscation-logprobs.sse": frozenset({"cache_write_tokens"}),
    "reasoning-encrypted-no-summary-then-function-call.sse": frozenset({"cache_write_tokens"}),
    "reasoning-summary-two-parts-then-text.sse": frozenset({"cache_write_tokens"}),
    "reasoning-text-gpt-oss-then-text.sse": frozenset({"cache_write_tokens"}),
    "parallel-function-calls-after-message.sse": frozenset({"cache_write_tokens"}),
    "refusal-streamed.sse": frozenset({"cache_write_tokens"}),
    "web-search-url-citations.sse": frozenset({"cache_write_tokens", "web_search_action"}),
    "builtin-tools-file-search-code-image-mcp-computer.sse": frozenset({"cache_write_tokens"}),
    "incomplete-max-output-tokens.sse": frozenset({"cache_write_tokens"}),
    "incomplete-content-filter.sse": frozenset({"cache_write_tokens"}),
    "error-insufficient-quota-then-failed.sse": frozenset({"nested_error", "error_code"}),
    "xai-reasoning-summary-then-text.sse": frozenset({"logprobs", "cache_write_tokens"}),
    "openrouter-gpt-oss-data-only-comment-done.sse": frozenset({"cache_write_tokens"}),
}

Event = dict[str, Any]


def _real_streams_dir() -> Path | None:
    env = os.environ.get("TRANSLATORS_REAL_STREAMS")
    folder = Path(env) if env else ROOT.parent / "shared" / "real-streams"
    return folder if folder.is_dir() else None


REAL = _real_streams_dir()
REAL_RECORDINGS = (
    sorted((REAL / "openai-responses").iterdir()) + sorted((REAL / "xai").glob("responses-*.jsonl"))
    if REAL is not None
    else []
)


def _id(path: Path) -> str:
    return path.name


# -- reading a body ----------------------------------------------------------------------------------------


def _sse(body: bytes) -> list[tuple[str, str]]:
    decoder = SSEDecoder()
    return [(event.event, event.data) for event in decoder.decode(body) + decoder.flush()]


def _named_events(path: Path) -> list[tuple[str, Event]]:
    """(SSE event name, parsed JSON) for every event of a body; the data-only ``[DONE]`` sentinel is dropped."""
    raw = _sse(path.read_bytes())
    if path.name in DATA_ONLY:
        assert raw, path.name
        assert raw[-1] == ("message", DONE), "a data-only body ends with data: [DONE]"
        raw = raw[:-1]
    out = []
    for name, data in raw:
        assert data != DONE, f"{path.name}: [DONE] outside a data-only body (the Responses API sends none)"
        event = json.loads(data)
        assert isinstance(event, dict), data
        out.append((name, event))
    return out


def _events(path: Path) -> list[Event]:
    return [event for _, event in _named_events(path)]


# -- SDK validation ----------------------------------------------------------------------------------------

Shim = Callable[[Event, int], bool]


def _shim_sequence_number(event: Event, position: int) -> bool:
    if "sequence_number" in event:
        return False
    event["sequence_number"] = position
    return True


def _shim_logprobs(event: Event, position: int) -> bool:
    if event["type"] in ("response.output_text.delta", "response.output_text.done") and "logprobs" not in event:
        event["logprobs"] = []
        return True
    return False


def _shim_cache_write_tokens(event: Event, position: int) -> bool:
    usage = (event.get("response") or {}).get("usage")
    details = usage.get("input_tokens_details") if isinstance(usage, dict) else None
    if isinstance(details, dict) and "cache_write_tokens" not in details:
        details["cache_write_tokens"] = 0
        return True
    return False


def _shim_web_search_action(event: Event, position: int) -> bool:
    item = event.get("item")
    if not isinstance(item, dict) or event["type"] != "response.output_item.added":
        return False
    if item.get("type") == "web_search_call" and "action" not in item:
        assert item["status"] == "in_progress", item
        item["action"] = {"type": "search"}
        return True
    return False


def _shim_error_code(event: Event, position: int) -> bool:
    error = (event.get("response") or {}).get("error")
    if isinstance(error, dict) and error.get("code") in WIRE_ERROR_CODES:
        error["code"] = "server_error"
        return True
    return False


def _shim_nested_error(event: Event, position: int) -> bool:
    if event["type"] != "error" or "error" not in event:
        return False
    nested = event.pop("error")
    assert set(nested) <= {"type", "code", "message", "param"}, nested
    assert not {"code", "message", "param"} & set(event), "an error event has either the nested or the flat shape"
    event.update(code=nested.get("code"), message=nested["message"], param=nested.get("param"))
    return True


SHIMS: dict[str, Shim] = {
    "sequence_number": _shim_sequence_number,
    "logprobs": _shim_logprobs,
    "cache_write_tokens": _shim_cache_write_tokens,
    "web_search_action": _shim_web_search_action,
    "error_code": _shim_error_code,
    "nested_error": _shim_nested_error,
}


def extras_of(value: Any, path: str = "") -> list[str]:
    """Paths of keys pydantic kept as extras anywhere in a validated tree, minus the WIRE_ONLY ones."""
    found: list[str] = []
    if isinstance(value, pydantic.BaseModel):
        allowed = WIRE_ONLY.get(type(value).__name__, frozenset())
        found += [f"{path}.{key}" for key in (value.model_extra or {}) if key not in allowed]
        for name in type(value).model_fields:
            found += extras_of(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, (list, tuple)):
        for n, item in enumerate(value):
            found += extras_of(item, f"{path}[{n}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            found += extras_of(item, f"{path}.{key}")
    return found


def validate(event: Event, position: int = 0, shims: set[str] | None = None) -> pydantic.BaseModel:
    """Validate one wire event against the SDK (after the documented shims); return the model.

    Raises ``pydantic.ValidationError`` when the SDK rejects it and ``AssertionError`` when the validated model
    is of another type or left unknown keys over. Names of the shims applied are added to ``shims``."""
    candidate = copy.deepcopy(event)
    for name, shim in SHIMS.items():
        if shim(candidate, position) and shims is not None:
            shims.add(name)
    model = ADAPTER.validate_python(candidate)
    assert isinstance(model, pydantic.BaseModel)
    assert getattr(model, "type", None) == event["type"], f"validated as {type(model).__name__}"
    extras = [p for p in extras_of(model) if not (p == ".obfuscation" and event["type"].endswith(".delta"))]
    assert not extras, f"{event['type']}: keys the SDK does not know: {extras}"
    return model


# -- per-body tests ----------------------------------------------------------------------------------------


def test_enough_cases() -> None:
    assert len(BODIES) >= MIN_CASES, [p.name for p in BODIES]
    names = {p.name for p in BODIES}
    for listed in (TRUNCATED, DATA_ONLY, set(EXPECTED_SHIMS)):
        assert listed <= names, listed - names


@pytest.mark.parametrize("path", BODIES, ids=_id)
def test_every_event_validates_against_the_sdk(path: Path) -> None:
    for position, event in enumerate(_events(path)):
        try:
            validate(event, position)
        except (pydantic.ValidationError, AssertionError) as exc:
            pytest.fail(f"{path.name} event #{position} ({event.get('type')}): {exc}")


@pytest.mark.parametrize("path", BODIES, ids=_id)
def test_shims_are_the_documented_ones(path: Path) -> None:
    used: set[str] = set()
    for position, event in enumerate(_events(path)):
        validate(event, position, used)
    assert used == EXPECTED_SHIMS.get(path.name, frozenset())


@pytest.mark.parametrize("path", BODIES, ids=_id)
def test_sse_event_name_is_the_json_type(path: Path) -> None:
    for name, event in _named_events(path):
        assert name == ("message" if path.name in DATA_ONLY else event["type"])


@pytest.mark.parametrize("path", BODIES, ids=_id)
def test_body_framing(path: Path) -> None:
    body = path.read_bytes()
    assert b"\r" not in body, "LF framing, as the real OpenAI recordings"
    assert body.endswith(b"\n\n"), "every body (the truncated one too) ends at an event boundary"
    text = body.decode()
    for line in text.split("\n"):
        if line.startswith("data: ") and line != f"data: {DONE}":
            payload = line[len("data: ") :]
            assert payload == json.dumps(json.loads(payload), separators=(",", ":"), ensure_ascii=False), (
                "compact JSON with raw UTF-8, as the API sends it"
            )


@pytest.mark.parametrize("path", BODIES, ids=_id)
def test_sequence_numbers_all_or_none_and_increasing(path: Path) -> None:
    events = _events(path)
    numbers = [event["sequence_number"] for event in events if "sequence_number" in event]
    if not numbers:
        return
    assert len(numbers) == len(events), "sequence_number on some events but not all"
    assert numbers[0] == 0
    assert all(b > a for a, b in pairwise(numbers)), numbers


@pytest.mark.parametrize("path", BODIES, ids=_id)
def test_obfuscation_only_on_delta_events(path: Path) -> None:
    for event in _events(path):
        if "obfuscation" in event:
            assert event["type"].endswith(".delta"), event["type"]
            assert isinstance(event["obfuscation"], str) and event["obfuscation"]


@pytest.mark.parametrize("path", BODIES, ids=_id)
def test_terminal_event(path: Path) -> None:
    types = [event["type"] for event in _events(path)]
    terminals = [t for t in types if t in TERMINAL]
    if path.name in TRUNCATED:
        assert not terminals, "the truncated body must end without a terminal event"
        return
    assert terminals == [types[-1]], f"exactly one terminal event, and last: {terminals}"
    assert types[0] == "response.created"


@pytest.mark.parametrize("path", BODIES, ids=_id)
def test_output_item_added_indexes_count_up(path: Path) -> None:
    added = [event["output_index"] for event in _events(path) if event["type"] == "response.output_item.added"]
    assert added == list(range(len(added)))


# -- the real recordings ----------------------------------------------------------------------------------


def _recorded_events(path: Path) -> list[Event]:
    body = path.read_bytes()
    if path.suffix == ".jsonl":  # re-serialized recordings: one event per line, SSE framing lost
        return [json.loads(line) for line in body.decode().splitlines() if line.strip()]
    return [json.loads(data) for _, data in _sse(body)]


@pytest.mark.parametrize("path", REAL_RECORDINGS, ids=_id)
def test_real_recording_validates_the_same_way(path: Path) -> None:
    for position, event in enumerate(_recorded_events(path)):
        validate(event, position)


def test_every_shim_is_needed_by_a_real_recording() -> None:
    if REAL is None:
        pytest.skip("real recordings not present")
    used: set[str] = set()
    for path in REAL_RECORDINGS:
        for position, event in enumerate(_recorded_events(path)):
            validate(event, position, used)
    assert used == set(SHIMS)


# -- the validation can fail -------------------------------------------------------------------------------

GOOD_DELTA: Event = {
    "type": "response.output_text.delta",
    "sequence_number": 7,
    "item_id": "msg_0c3f",
    "output_index": 0,
    "content_index": 0,
    "delta": "Hi",
    "logprobs": [],
    "obfuscation": "Zq81pXk2LmN0aB",
}


def test_a_good_event_passes() -> None:
    assert validate(GOOD_DELTA).type == "response.output_text.delta"  # type: ignore[attr-defined]


def test_misspelled_required_field_is_rejected() -> None:
    bad = {("dleta" if key == "delta" else key): value for key, value in GOOD_DELTA.items()}
    with pytest.raises(pydantic.ValidationError):
        validate(bad)


def test_misspelled_optional_field_is_rejected() -> None:
    added: Event = {
        "type": "response.output_item.added",
        "sequence_number": 4,
        "output_index": 1,
        "item": {
            "id": "msg_0c3f",
            "type": "message",
            "status": "in_progress",
            "content": [],
            "phaze": "commentary",
            "role": "assistant",
        },
    }
    with pytest.raises(AssertionError, match="phaze"):
        validate(added)


def test_wrong_event_type_is_rejected() -> None:
    with pytest.raises(pydantic.ValidationError):
        validate({**GOOD_DELTA, "type": "response.output_text.delat"})
    with pytest.raises(pydantic.ValidationError):
        validate({**GOOD_DELTA, "type": "response.text.delta"})  # the pre-release name, not in the SDK


def test_wrong_part_type_is_rejected() -> None:
    part_added: Event = {
        "type": "response.content_part.added",
        "sequence_number": 3,
        "item_id": "msg_0c3f",
        "output_index": 0,
        "content_index": 0,
        "part": {"type": "text", "text": "", "annotations": []},
    }
    with pytest.raises(pydantic.ValidationError):
        validate(part_added)


def test_obfuscation_is_an_extra_only_on_deltas() -> None:
    done = {key: value for key, value in GOOD_DELTA.items() if key != "delta"} | {
        "type": "response.output_text.done",
        "text": "Hi",
    }
    with pytest.raises(AssertionError, match="obfuscation"):
        validate(done)
