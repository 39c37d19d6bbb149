"""The measurements: throughput against a same-run floor, peak memory against stream length, import time.

Timing method (`throughput`):

* every measured call runs once per round, and rounds interleave all workloads and measurements (the
  order rotates each round), so drift in CPU clock or machine load hits the floor and the library alike;
* one untimed warm-up round first (imports the provider module, fills caches);
* ``time.perf_counter_ns`` around one complete call; the statistic is the **minimum** over rounds (the
  run least disturbed by noise; these are deterministic CPU-bound loops), the median is reported beside it;
* the cyclic GC is **disabled** while a call is timed (and collected between calls) by default: GC pauses
  depend on the whole process's heap, not on the code under test, and add noise. The output has no
  reference cycles, so everything is still freed by reference counting. ``gc=True`` keeps it on.

The floor (`floor`) is the least any bytes→bytes translator must do: split the body into events, take
each event's JSON text, ``orjson.loads`` it, take its content (`_CONTENT`: one field lookup chain per
provider, giving the text the event carries, or None), build one minimal chunk dict, ``orjson.dumps`` it,
frame it as ``data: ...\\n\\n``; and append ``[DONE]``. It reads the whole body at once (no incremental
framing) and splits it with `benchmarks.workloads.frames`, by the workload's framing:

* ``sse`` / ``sse-crlf``: ``bytes.split`` on the blank line (``\\n\\n`` / ``\\r\\n\\r\\n``), then the
  bytes after ``data: ``; OpenAI chat's final ``data: [DONE]`` is dropped once, at the end (it is no
  event: the floor appends its own ``[DONE]``);
* ``json-array`` (Gemini without ``alt=sse``): ``bytes.split`` of the inside of the array on the
  separator the service sends between elements (``\\n,\\r\\n``), then one ``orjson.loads`` per element.
  That is the cheapest way that still yields each element on its own, as a stream must (an element goes
  out as soon as it is complete); one ``orjson.loads`` of the whole array would be cheaper still but
  emits nothing before the closing ``]``, so it is no floor for a stream. A general decoder must also
  find element ends without trusting the whitespace between them; the floor does not pay for that;
* ``ndjson`` (Ollama): ``bytes.split`` on ``\\n``, one ``orjson.loads`` per line;
* ``eventstream`` (Bedrock, the AWS binary event stream): the minimal walk of the messages
  (`benchmarks.workloads.eventstream_frames`): the prelude's lengths unpacked, the prelude CRC and the
  message CRC checked (``zlib.crc32``, as every decoder must), the payload sliced out from behind the
  headers, one ``orjson.loads`` per payload. The headers are skipped, not parsed, as the SSE floor skips
  the ``event:`` line: the floor's chunk content comes from the payload alone. A real decoder must at
  least find the ``:event-type`` header (Bedrock's payloads do not name their type); the floor does not
  pay for that either.

A workload may name its own wire decoder (`Workload.decoder`, e.g. Bedrock's pure-Python
`translators.eventstream.JSONFrameDecoder` beside the default, botocore-backed when botocore is
installed): its ``stream()`` calls then go through a `BytePipeline` whose `ProviderSpec` has that
decoder, the same pipeline ``translators.stream`` builds.
"""

from __future__ import annotations

import gc
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any

import orjson

import translators
from benchmarks.workloads import Workload, event_reads, fixed_reads, frames, text_events
from translators._core import BytePipeline, Options
from translators._registry import spec
from translators._streams import ByteStream

__all__ = ["decoder_name", "floor", "identity", "import_times", "memory_profile", "streamer", "throughput"]

_DONE = b"data: [DONE]\n\n"
Event = dict[str, Any]


def _anthropic_content(event: Event) -> Any:
    delta = event.get("delta")
    return delta.get("text") or delta.get("thinking") or delta.get("partial_json") if delta else None


def _gemini_content(event: Event) -> Any:
    part = event["candidates"][0]["content"]["parts"][0]
    call = part.get("functionCall")
    if call is None:
        return part.get("text")
    pieces = call.get("partialArgs")
    return pieces[0].get("stringValue") if pieces else None


def _openai_content(event: Event) -> Any:
    choices = event["choices"]
    if not choices:
        return None
    delta = choices[0]["delta"]
    calls = delta.get("tool_calls")
    return calls[0]["function"].get("arguments") or None if calls else delta.get("content") or None


def _responses_content(event: Event) -> Any:
    return event.get("delta")


def _bedrock_content(event: Event) -> Any:
    """From a payload (the floor does not read the ``:event-type`` header): text, reasoning text, or a
    tool input fragment."""
    delta = event.get("delta")
    if not delta:
        return None
    text = delta.get("text")
    if text is not None:
        return text
    reasoning = delta.get("reasoningContent")
    if reasoning is not None:
        return reasoning.get("text")
    tool = delta.get("toolUse")
    return tool.get("input") if tool is not None else None


def _cohere_content(event: Event) -> Any:
    delta = event.get("delta")
    message = delta.get("message") if delta else None
    if not message:
        return None
    content = message.get("content")
    if type(content) is dict:
        return content.get("text") or content.get("thinking") or None
    calls = message.get("tool_calls")
    if type(calls) is dict:
        return calls["function"].get("arguments") or None
    return message.get("tool_plan") or None


def _ollama_content(event: Event) -> Any:
    message = event["message"]
    return message.get("thinking") or message["content"] or None


_CONTENT: dict[str, Callable[[Event], Any]] = {
    "anthropic": _anthropic_content,
    "gemini": _gemini_content,
    "openai": _openai_content,
    "openai_responses": _responses_content,
    "bedrock": _bedrock_content,
    "cohere": _cohere_content,
    "ollama": _ollama_content,
}
"""Per provider: an event's text (text, thinking or reasoning summary, or tool-call argument fragment), for
the floor's chunk; None for an event that carries none (or an empty one)."""


def floor(body: bytes, framing: str, provider: str, chunk_id: str, model: str) -> bytes:
    """Parse + serialize only: one minimal chunk per event (see the module docstring)."""
    loads = orjson.loads
    dumps = orjson.dumps
    content = _CONTENT[provider]
    out: list[bytes] = []
    append = out.append
    for data in frames(body, framing):
        chunk = {
            "id": chunk_id,
            "object": "chat.completion.chunk",
            "created": 1,
            "model": model,
            "choices": [{"index": 0, "delta": {"content": content(loads(data))}, "finish_reason": None}],
        }
        append(b"data: " + dumps(chunk) + b"\n\n")
    append(_DONE)
    return b"".join(out)


def identity(workload: Workload) -> tuple[str, str]:
    """The stream's chunk id and model, as the translator takes them from the first event."""
    first = workload.events[0]
    if workload.provider == "anthropic":
        return "chatcmpl-" + first["message"]["id"], first["message"]["model"]
    if workload.provider == "openai":  # the upstream chunk id, unchanged
        return first["id"], first["model"]
    if workload.provider == "openai_responses":
        return "chatcmpl-" + first["response"]["id"], first["response"]["model"]
    if workload.provider == "bedrock":  # the stream names neither: made up from created (1 here)
        return "chatcmpl-bedrock-1", ""
    if workload.provider == "cohere":  # no model in the stream
        return "chatcmpl-" + first["id"], ""
    if workload.provider == "ollama":  # no id in the stream
        return "chatcmpl-ollama-1", first["model"]
    return "chatcmpl-" + first["responseId"], first["modelVersion"]


def streamer(workload: Workload) -> Callable[[list[bytes]], Iterable[bytes]]:
    """``pieces -> stream()`` of the workload's provider, with the workload's decoder when it names one (or
    the workload's own `Workload.streamer`)."""
    provider = workload.provider
    if workload.streamer is not None:
        return workload.streamer
    if workload.decoder is None:
        return lambda pieces: translators.stream(provider, pieces, created=1)
    provider_spec = replace(spec(provider), decoder=workload.decoder)
    return lambda pieces: ByteStream(BytePipeline(provider_spec, Options(created=1)), pieces)


def decoder_name(workload: Workload) -> str:
    """The class of the wire decoder ``stream()`` uses for the workload."""
    make = workload.decoder or spec(workload.provider).decoder
    return type(make(1024)).__name__


def _calls(workload: Workload, read_size: int) -> dict[str, Callable[[], object]]:
    chunk_id, model = identity(workload)
    provider, framing = workload.provider, workload.framing
    body, pieces, events = workload.body, workload.pieces, workload.events
    fixed = list(fixed_reads([body], read_size))
    run = streamer(workload)
    return {
        "floor": lambda: floor(body, framing, provider, chunk_id, model),
        "stream": lambda: b"".join(run(pieces)),
        "stream_fixed": lambda: b"".join(run(fixed)),
        "stream_whole": lambda: b"".join(run([body])),
        "translate": lambda: list(translators.translate(provider, events, created=1)),
    }


def _timed(call: Callable[[], object], gc_enabled: bool) -> int:
    if gc_enabled:
        start = time.perf_counter_ns()
        call()
        return time.perf_counter_ns() - start
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        call()
        return time.perf_counter_ns() - start
    finally:
        gc.enable()


def throughput(
    workloads: list[Workload], repeat: int, *, gc_enabled: bool = False, read_size: int = 4096
) -> list[dict[str, Any]]:
    """Per workload: timings (ns: min, median, all) of each call, and their ratios to the floor."""
    calls = {w.name: _calls(w, read_size) for w in workloads}
    jobs = [(w.name, name) for w in workloads for name in calls[w.name]]
    for wname, name in jobs:  # warm-up
        calls[wname][name]()
    samples: dict[tuple[str, str], list[int]] = {job: [] for job in jobs}
    for round_ in range(repeat):
        shift = round_ % len(jobs)
        for job in jobs[shift:] + jobs[:shift]:
            samples[job].append(_timed(calls[job[0]][job[1]], gc_enabled))
    results = []
    for w in workloads:
        timings: dict[str, dict[str, Any]] = {}
        for name in calls[w.name]:
            ns = samples[(w.name, name)]
            timings[name] = {"min": min(ns), "median": int(statistics.median(ns)), "all": ns}
        base_min, base_median = timings["floor"]["min"], timings["floor"]["median"]
        ratios = {n: t["min"] / base_min for n, t in timings.items() if n != "floor"}
        ratios_median = {n: t["median"] / base_median for n, t in timings.items() if n != "floor"}
        results.append(
            {
                "name": w.name,
                "description": w.description,
                "provider": w.provider,
                "framing": w.framing,
                "decoder": decoder_name(w),
                "reference": w.reference,
                "events": len(w.events),
                "counts": dict(w.counts),
                "body_bytes": len(w.body),
                "reads": len(w.pieces),
                "reads_fixed": -(-len(w.body) // read_size),
                "read_size_fixed": read_size,
                "timings_ns": timings,
                "ratios": ratios,
                "ratios_median": ratios_median,
                "ns_per_event": {n: t["min"] / len(w.events) for n, t in timings.items()},
            }
        )
    return results


def _consume_lazily(n_deltas: int) -> tuple[int, int, int]:
    """(tracemalloc peak above the start, output bytes, output pieces) for one lazily fed stream."""
    pieces: Iterator[bytes] = event_reads(text_events(n_deltas))
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out_bytes = out_pieces = 0
        for out in translators.stream("anthropic", pieces, created=1):
            out_bytes += len(out)
            out_pieces += 1
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return peak, out_bytes, out_pieces


def memory_profile(sizes: list[int]) -> dict[str, Any]:
    """tracemalloc peak while consuming stream() lazily, for text streams of each size (in deltas)."""
    _consume_lazily(10)  # import the provider and warm caches outside the measurement
    rows = []
    for n in sizes:
        peak, out_bytes, out_pieces = _consume_lazily(n)
        rows.append({"deltas": n, "peak_bytes": peak, "output_bytes": out_bytes, "output_pieces": out_pieces})
    peaks = [r["peak_bytes"] for r in rows]
    return {
        "sizes": list(sizes),
        "rows": rows,
        "peaks": peaks,
        "ratio": peaks[-1] / peaks[0],  # the largest stream's peak over the smallest's
        "spread": max(peaks) / min(peaks),
    }


_IMPORTTIME = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s+)(\S+)\s*$")


def _env(pycache: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHONPROFILEIMPORTTIME")}
    if pycache is not None:
        # A deployed package imports from cached bytecode; this environment may set
        # PYTHONDONTWRITEBYTECODE, so the children cache it under a temporary prefix (not in the repo).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def _run_python(code: str, *flags: str, pycache: str | None = None) -> tuple[int, str]:
    env = _env(pycache)
    start = time.perf_counter_ns()
    done = subprocess.run([sys.executable, *flags, "-c", code], capture_output=True, text=True, env=env, check=True)
    return time.perf_counter_ns() - start, done.stderr


def _importtime(module: str, pycache: str | None) -> dict[str, Any]:
    """One ``-X importtime`` run of ``import module``: self time of the translators modules, and the
    cumulative time and heaviest modules of that import's tree (interpreter start-up excluded)."""
    _, stderr = _run_python(f"import {module}", "-X", "importtime", pycache=pycache)
    rows = []
    for line in stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match:
            rows.append((int(match[1]), int(match[2]), len(match[3]), match[4]))
    top = [i for i, row in enumerate(rows) if row[2] == 1]  # top-level imports; the last is ours
    tree = rows[top[-2] + 1 : top[-1] + 1] if len(top) > 1 else rows
    own = {name: self_us for self_us, _, _, name in tree if name.split(".")[0] == "translators"}
    heaviest = sorted(((self_us, name) for self_us, _, _, name in tree), reverse=True)
    return {"self_us": own, "self_total_us": sum(own.values()), "cumulative_us": tree[-1][1], "top": heaviest[:8]}


def import_times(runs: int) -> dict[str, Any]:
    """Import cost in fresh interpreters, bytecode cached (see `_env`): wall-clock of
    ``python -c "import translators"`` minus ``python -c pass`` (best of ``runs`` each, interleaved), and
    ``-X importtime`` self time summed over the translators modules (best of ``runs``). Also: the same
    with the Anthropic provider module (imported on the first ``stream("anthropic", ...)``), and the
    self time when nothing is cached (every module compiled from source, as under
    PYTHONDONTWRITEBYTECODE without existing ``__pycache__``)."""
    with tempfile.TemporaryDirectory(prefix="translators-bench-pycache-") as pycache:
        _run_python("import translators.providers.anthropic", pycache=pycache)  # fill the bytecode cache
        bare: list[int] = []
        full: list[int] = []
        provider: list[int] = []
        for _ in range(runs):
            bare.append(_run_python("pass", pycache=pycache)[0])
            full.append(_run_python("import translators", pycache=pycache)[0])
            provider.append(_run_python("import translators.providers.anthropic", pycache=pycache)[0])
        best = min((_importtime("translators", pycache) for _ in range(runs)), key=lambda p: p["self_total_us"])
        best_provider = min(
            (_importtime("translators.providers.anthropic", pycache) for _ in range(runs)),
            key=lambda p: p["self_total_us"],
        )
    with tempfile.TemporaryDirectory(prefix="translators-bench-nocache-") as empty:
        # A fresh, empty prefix for every run: nothing is cached, everything of ours compiles.
        uncached = min(
            _importtime("translators", os.path.join(empty, str(i)))["self_total_us"] for i in range(min(runs, 3))
        )
    return {
        "runs": runs,
        "python_pass_ms": min(bare) / 1e6,
        "python_import_ms": min(full) / 1e6,
        "wall_ms": (min(full) - min(bare)) / 1e6,
        "wall_with_provider_ms": (min(provider) - min(bare)) / 1e6,
        "self_ms": best["self_total_us"] / 1000,
        "self_ms_by_module": {k: v / 1000 for k, v in best["self_us"].items()},
        "cumulative_ms": best["cumulative_us"] / 1000,
        "heaviest_self": [[name, us / 1000] for us, name in best["top"]],
        "self_ms_with_provider": best_provider["self_total_us"] / 1000,
        "cumulative_ms_with_provider": best_provider["cumulative_us"] / 1000,
        "self_ms_by_module_with_provider": {k: v / 1000 for k, v in best_provider["self_us"].items()},
        "self_ms_uncached": uncached / 1000,
    }
