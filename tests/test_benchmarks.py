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
from benchmarks.measure import floor
from benchmarks.report import render
from benchmarks.workloads import (
    decode_events,
    event_reads,
    fixed_reads,
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
        memory_sizes=[20, 200],
        import_runs=1,
    )


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    return run(tiny())


# -- workloads ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "workload",
    [text_workload(40), thinking_tool_workload(15, 10, 25)],
    ids=["text", "thinking_tool"],
)
def test_workload_translates_cleanly(workload: Any) -> None:
    assert b"".join(workload.pieces) == workload.body
    for pieces in (workload.pieces, list(fixed_reads([workload.body], 97)), [workload.body]):
        out = b"".join(translators.stream("anthropic", pieces, created=1))
        payloads, done = parse_sse_output(out)
        assert done and out.endswith(b"data: [DONE]\n\n")
        assert not any("error" in p for p in payloads)
        check_contract(payloads, done=done)
    chunks = list(translators.translate("anthropic", workload.events, created=1))
    assert not any("error" in c for c in chunks)
    check_contract(chunks, done=True)
    assert chunks == payloads  # the same translation either way


def test_text_workload_is_realistic() -> None:
    workload = text_workload()
    assert workload.counts["text_delta"] >= 2000
    assert workload.counts["ping"] >= 2
    assert workload.events[0]["type"] == "message_start"
    assert workload.events[-1]["type"] == "message_stop"
    lines = [line for line in workload.body.split(b"\n") if line.startswith(b"data: ")]
    assert any(line.endswith(b" }") for line in lines), "Anthropic's padding before the final brace"
    assert b'data: {"type": "ping"}' in workload.body
    assert all(1 <= len(p.split(b"\n\n")) - 1 <= 4 for p in workload.pieces), "1-4 whole events per read"


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
    reads = event_reads(text_events(10**9))  # a generator: nothing is built until asked
    assert next(reads).startswith(b"event: message_start\n")
    body = b"".join(text_events(25))
    assert b"".join(fixed_reads(text_events(25), 100)) == body
    assert all(len(p) == 100 for p in list(fixed_reads(text_events(25), 100))[:-1])
    assert len(decode_events(body)) == 25 + 6  # start, block start, ping, deltas, stop, delta, stop


def test_floor_emits_one_chunk_per_event() -> None:
    workload = text_workload(30)
    out = floor(workload.body, "chatcmpl-x", "m")
    payloads, done = parse_sse_output(out)
    assert done and len(payloads) == len(workload.events)
    contents = [p["choices"][0]["delta"]["content"] for p in payloads]
    assert "".join(c for c in contents if c) == "".join(
        e["delta"]["text"] for e in workload.events if e["type"] == "content_block_delta"
    )


# -- results --------------------------------------------------------------------------------------------


def test_results_structure(results: dict[str, Any]) -> None:
    assert isinstance(results["python"], str) and results["orjson"]
    assert [w["name"] for w in results["workloads"]] == ["text", "thinking_tool"]
    for w in results["workloads"]:
        assert set(w["timings_ns"]) == {"floor", "stream", "stream_fixed", "stream_whole", "translate"}
        for timing in w["timings_ns"].values():
            assert isinstance(timing["min"], int) and timing["min"] > 0
            assert len(timing["all"]) == 2 and timing["min"] == min(timing["all"])
        for ratios in (w["ratios"], w["ratios_median"]):
            assert set(ratios) == {"stream", "stream_fixed", "stream_whole", "translate"}
            assert all(isinstance(r, float) and r > 0 for r in ratios.values())
    assert results["workloads"][0]["counts"]["text_delta"] == 30


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
    streams = [f"stream() {w}, {r}" for w in ("text", "thinking_tool") for r in reads]
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
