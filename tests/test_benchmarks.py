"""The benchmark machinery works (``python -m benchmarks``): structure of its results, valid workloads.

Timings are never asserted here: they depend on the machine. Sizes are tiny so this stays fast.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

import translators
from benchmarks import Config, run
from benchmarks import __main__ as cli
from benchmarks.measure import floor, identity
from benchmarks.report import render
from benchmarks.workloads import (
    FRAMINGS,
    Workload,
    decode_events,
    event_reads,
    fixed_reads,
    frames,
    gemini_function_call_payloads,
    gemini_function_call_workload,
    gemini_text_payloads,
    gemini_text_workload,
    gemini_wire,
    text_events,
    text_workload,
    thinking_tool_events,
    thinking_tool_workload,
)
from tests.contract import check_contract, parse_sse_output


def tiny() -> Config:
    return Config(
        repeat=2,
        text_deltas=30,
        thinking_deltas=10,
        tool_text_deltas=5,
        json_deltas=12,
        gemini_text_chunks=12,
        gemini_thoughts=4,
        gemini_partial_args=9,
        memory_sizes=[20, 200],
        import_runs=1,
    )


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    return run(tiny())


# -- workloads ------------------------------------------------------------------------------------------


WORKLOADS = [
    text_workload(40),
    thinking_tool_workload(15, 10, 25),
    gemini_text_workload(30),
    gemini_text_workload(30, "json-array"),
    gemini_function_call_workload(6, 20),
]
WORKLOAD_IDS = [w.name for w in WORKLOADS]
SEPARATORS = {"sse": b"\n\n", "sse-crlf": b"\r\n\r\n", "json-array": b"\n,\r\n"}


def translated(workload: Workload) -> list[dict[str, Any]]:
    """The chunks of ``stream()`` over the workload's own reads, checked against the output contract."""
    out = b"".join(translators.stream(workload.provider, workload.pieces, created=1))
    payloads, done = parse_sse_output(out)
    assert done and not any("error" in p for p in payloads)
    check_contract(payloads, done=done, usage=True)
    return payloads


def content(chunks: list[dict[str, Any]], field: str = "content") -> str:
    return "".join(c["choices"][0]["delta"].get(field) or "" for c in chunks if c["choices"])


def gemini_parts(workload: Workload) -> list[dict[str, Any]]:
    return [part for e in workload.events for c in e["candidates"] for part in c["content"]["parts"]]


@pytest.mark.parametrize("workload", WORKLOADS, ids=WORKLOAD_IDS)
def test_workload_translates_cleanly(workload: Workload) -> None:
    assert b"".join(workload.pieces) == workload.body
    assert workload.framing in FRAMINGS
    payloads = translated(workload)
    for pieces in (list(fixed_reads([workload.body], 97)), [workload.body]):
        out = b"".join(translators.stream(workload.provider, pieces, created=1))
        assert parse_sse_output(out) == (payloads, True)  # however the body is cut
    chunks = list(translators.translate(workload.provider, workload.events, created=1))
    assert chunks == payloads  # the same translation either way
    assert (chunks[0]["id"], chunks[0]["model"]) == identity(workload)


@pytest.mark.parametrize("workload", WORKLOADS, ids=WORKLOAD_IDS)
def test_reads_hold_one_to_four_whole_events(workload: Workload) -> None:
    separator = SEPARATORS[workload.framing]
    counts = [piece.count(separator) for piece in workload.pieces]
    if workload.framing == "json-array":  # a separator before every element but the first
        assert workload.pieces[0].startswith(b"[{") and workload.pieces[-1].endswith(b"}\n]")
        assert sum(counts) == len(workload.events) - 1
        counts = [n + (p.startswith(b"[")) for n, p in zip(counts, workload.pieces, strict=True)]
        assert all(1 <= n <= 4 for n in counts[:-1]) and 0 <= counts[-1] <= 4  # "\n]" may come alone
    else:
        assert all(p.endswith(separator) for p in workload.pieces)
        assert all(1 <= n <= 4 for n in counts) and sum(counts) == len(workload.events)
    assert len(frames(workload.body, workload.framing)) == len(workload.events)


def test_text_workload_is_realistic() -> None:
    workload = text_workload()
    assert workload.counts["text_delta"] >= 2000
    assert workload.counts["ping"] >= 2
    assert workload.events[0]["type"] == "message_start"
    assert workload.events[-1]["type"] == "message_stop"
    lines = [line for line in workload.body.split(b"\n") if line.startswith(b"data: ")]
    assert any(line.endswith(b" }") for line in lines), "Anthropic's padding before the final brace"
    assert b'data: {"type": "ping"}' in workload.body


def test_thinking_tool_workload_has_every_kind() -> None:
    workload = thinking_tool_workload(20, 10, 30)
    counts = workload.counts
    assert counts["thinking_delta"] == 20 and counts["signature_delta"] == 1
    assert counts["text_delta"] == 10 and counts["input_json_delta"] == 31  # the first one is ""
    arguments = "".join(
        e["delta"]["partial_json"] for e in workload.events if e.get("delta", {}).get("type") == "input_json_delta"
    )
    assert isinstance(orjson.loads(arguments), dict)
    chunks = list(translators.translate("anthropic", workload.events, created=1))
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_generation_is_deterministic_and_lazy() -> None:
    assert b"".join(text_events(50)) == b"".join(text_events(50))
    assert b"".join(thinking_tool_events(5, 5, 5)) == b"".join(thinking_tool_events(5, 5, 5))
    assert list(gemini_text_payloads(5)) == list(gemini_text_payloads(5))
    assert list(gemini_function_call_payloads(3, 8)) == list(gemini_function_call_payloads(3, 8))
    assert next(gemini_text_payloads(10**9))["candidates"][0]["index"] == 0  # lazy too
    assert next(gemini_wire(gemini_function_call_payloads(10**9, 5), "json-array")).startswith(b'[{\n  "candidates"')
    reads = event_reads(text_events(10**9))  # a generator: nothing is built until asked
    assert next(reads).startswith(b"event: message_start\n")
    body = b"".join(text_events(25))
    assert b"".join(fixed_reads(text_events(25), 100)) == body
    assert all(len(p) == 100 for p in list(fixed_reads(text_events(25), 100))[:-1])
    assert len(decode_events(body)) == 25 + 6  # start, block start, ping, deltas, stop, delta, stop


def test_gemini_text_workload_is_realistic() -> None:
    workload = gemini_text_workload(40)
    assert workload.counts == {"events": 40, "text": 40}
    body = workload.body
    assert body.startswith(b'data: {"candidates": [{"content": {"parts": [{"text": "')
    assert body.count(b"\r\n\r\n") == 40 and body.count(b"\n") == 80, "CRLF framing, no raw newline in the JSON"
    assert b'"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 1234,' in body, "wire spacing"
    assert "—".encode() in body or "é".encode() in body, "raw UTF-8, as the service sends it"
    events = workload.events
    assert len({(e["responseId"], e["modelVersion"]) for e in events}) == 1
    used = [e["usageMetadata"]["candidatesTokenCount"] for e in events]
    assert used == sorted(used) and len(set(used)) == len(used), "cumulative usage on every chunk"
    assert [e["candidates"][0].get("finishReason") for e in events] == [None] * 39 + ["STOP"]
    assert all(30 <= len(part["text"]) < 300 for part in gemini_parts(workload))
    chunks = translated(workload)
    assert content(chunks) == "".join(part["text"] for part in gemini_parts(workload))
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["completion_tokens"] == used[-1] + events[-1]["usageMetadata"]["thoughtsTokenCount"]


def test_gemini_array_workload_is_the_same_stream() -> None:
    sse, array = gemini_text_workload(25), gemini_text_workload(25, "json-array")
    assert array.events == sse.events
    assert array.body.startswith(b'[{\n  "candidates": [\n    {\n      "content": {\n        "parts": [\n')
    assert array.body.endswith(b'"\n}\n]') and array.body.count(b"\n,\r\n") == 24
    assert b"\r" not in array.body.replace(b"\n,\r\n", b""), "CR only in the separators"
    assert translated(array) == translated(sse)
    assert list(gemini_wire([], "json-array")) == [b"[]"] and frames(b"[]", "json-array") == []
    with pytest.raises(ValueError, match="no 'sse' framing"):
        next(gemini_wire([], "sse"))


def test_gemini_service_escapes() -> None:
    payload = {"candidates": [{"content": {"parts": [{"text": "<b> & é"}]}}]}
    wire = b"".join(gemini_wire([payload], "sse-crlf"))
    assert (
        wire
        == 'data: {"candidates": [{"content": {"parts": [{"text": "\\u003cb\\u003e \\u0026 é"}]}}]}\r\n\r\n'.encode()
    )
    assert decode_events(wire, "sse-crlf") == [payload]


def test_gemini_function_call_workload_has_every_kind() -> None:
    workload = gemini_function_call_workload(7, 30)
    assert workload.counts == {
        "events": 7 + 1 + 30 + 2,
        "thought": 7,
        "functionCall": 1,
        "partialArgs": 30,
        "functionCall_end": 1,
        "text": 1,
    }
    parts = gemini_parts(workload)
    assert all("index" not in c and "createTime" in e for e in workload.events for c in e["candidates"])
    assert parts[7]["functionCall"] == {"name": "write_file", "willContinue": True} and parts[7]["thoughtSignature"]
    pieces = [p for part in parts for p in part.get("functionCall", {}).get("partialArgs", [])]
    assert len(pieces) == 31 and pieces[-2:] == [
        {"jsonPath": "$.options.overwrite", "boolValue": True},
        {"jsonPath": "$.options.mode", "numberValue": 420},
    ]
    assert parts[-2] == {"functionCall": {}} and parts[-1] == {"text": ""}
    assert [e["usageMetadata"] for e in workload.events[:-1]] == [{"trafficType": "ON_DEMAND"}] * 39
    chunks = translated(workload)
    assert content(chunks, "reasoning_content") == "".join(part["text"] for part in parts[:7])
    calls = [call for c in chunks if c["choices"] for call in c["choices"][0]["delta"].get("tool_calls") or []]
    assert calls[0]["function"]["name"] == "write_file" and {c["index"] for c in calls} == {0}
    arguments = orjson.loads("".join(c["function"]["arguments"] for c in calls))
    text = "".join(p["stringValue"] for p in pieces if p["jsonPath"] == "$.content")
    assert arguments == {
        "path": "src/translators/example.py",
        "content": text,
        "options": {"overwrite": True, "mode": 420},
    }
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


def expected_floor_contents(workload: Workload) -> list[Any]:
    """What the floor's chunks carry, worked out from the events independently of `benchmarks.measure`."""
    if workload.provider == "anthropic":
        return [
            e["delta"].get("text") or e["delta"].get("thinking") or e["delta"].get("partial_json")
            if e["type"] == "content_block_delta"
            else None
            for e in workload.events
        ]
    found: list[Any] = []
    for part in gemini_parts(workload):
        pieces = part.get("functionCall", {}).get("partialArgs")
        found.append(pieces[0]["stringValue"] if pieces and "stringValue" in pieces[0] else part.get("text"))
    return found


@pytest.mark.parametrize("workload", WORKLOADS, ids=WORKLOAD_IDS)
def test_floor_emits_one_chunk_per_event(workload: Workload) -> None:
    out = floor(workload.body, workload.framing, workload.provider, "chatcmpl-x", "m")
    payloads, done = parse_sse_output(out)
    assert done and len(payloads) == len(workload.events)
    assert all(p["id"] == "chatcmpl-x" and p["object"] == "chat.completion.chunk" for p in payloads)
    assert [p["choices"][0]["delta"]["content"] for p in payloads] == expected_floor_contents(workload)


# -- results --------------------------------------------------------------------------------------------


def test_results_structure(results: dict[str, Any]) -> None:
    assert isinstance(results["python"], str) and results["orjson"]
    names = [w["name"] for w in results["workloads"]]
    assert names == ["text", "thinking_tool", "gemini_text", "gemini_text_array", "gemini_call"]
    assert [(w["provider"], w["framing"]) for w in results["workloads"]] == [
        ("anthropic", "sse"),
        ("anthropic", "sse"),
        ("gemini", "sse-crlf"),
        ("gemini", "json-array"),
        ("gemini", "sse-crlf"),
    ]
    for w in results["workloads"]:
        assert set(w["timings_ns"]) == {"floor", "stream", "stream_fixed", "stream_whole", "translate"}
        for timing in w["timings_ns"].values():
            assert isinstance(timing["min"], int) and timing["min"] > 0
            assert len(timing["all"]) == 2 and timing["min"] == min(timing["all"])
        for ratios in (w["ratios"], w["ratios_median"]):
            assert set(ratios) == {"stream", "stream_fixed", "stream_whole", "translate"}
            assert all(isinstance(r, float) and r > 0 for r in ratios.values())
    assert results["workloads"][0]["counts"]["text_delta"] == 30
    assert results["workloads"][2]["counts"]["text"] == results["workloads"][3]["counts"]["text"] == 12
    assert results["workloads"][4]["counts"]["partialArgs"] == 9 and results["workloads"][4]["counts"]["thought"] == 4


def test_memory_results(results: dict[str, Any]) -> None:
    memory = results["memory"]
    assert memory["sizes"] == [20, 200]
    assert all(isinstance(p, int) and p > 0 for p in memory["peaks"])
    assert isinstance(memory["ratio"], float) and memory["ratio"] > 0
    rows = memory["rows"]
    assert rows[1]["output_bytes"] > rows[0]["output_bytes"] > 0


def test_import_results(results: dict[str, Any]) -> None:
    imp = results["import"]
    for key in ("wall_ms", "self_ms", "cumulative_ms", "self_ms_with_provider", "self_ms_uncached"):
        assert isinstance(imp[key], float)
    assert imp["self_ms"] > 0 and imp["cumulative_ms"] >= imp["self_ms"]
    assert "translators" in imp["self_ms_by_module"] and "translators._core" in imp["self_ms_by_module"]
    assert "translators.providers.anthropic" in imp["self_ms_by_module_with_provider"]


def test_targets_and_report(results: dict[str, Any]) -> None:
    names = [t["name"] for t in results["targets"]]
    reads = ["1-4 events/read", "4 KiB reads", "one read"]
    workloads = ("text", "thinking_tool", "gemini_text", "gemini_text_array", "gemini_call")
    streams = [f"stream() {w}, {r}" for w in workloads for r in reads]
    assert names == [*streams, "import translators", "memory flat"]
    assert all(isinstance(t["pass"], bool) for t in results["targets"])
    text = render(results)
    assert "ratios against the floor measured in the same run" in text
    assert results["python"] in text
    assert text.count("PASS") + text.count("MISS") == len(names)
    json.dumps(results)  # plain data


def test_cli_json(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(Config, "quick", classmethod(lambda cls: tiny()))
    assert cli.main(["--quick", "--json", "--repeat", "1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["config"]["repeat"] == 1
    assert len(data["workloads"][0]["timings_ns"]["stream"]["all"]) == 1
