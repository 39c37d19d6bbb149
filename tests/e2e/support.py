"""Shared pieces of the end-to-end tests: the chosen fixtures, what their goldens say, and servers on localhost.

Every test here talks HTTP to the reference proxy (`translators.proxy.create_app` over a
`translators.proxy.ReplayUpstream` on ``fixtures/``) served by uvicorn on a free loopback port, either in a thread of
the test process (`serve_in_thread`) or in a child process (`serve_in_subprocess`, see ``serve.py``).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
SERVE_SCRIPT = Path(__file__).resolve().parent / "serve.py"
NODE_DIR = Path(__file__).resolve().parent / "node"

# The fixtures every client consumes: text, tool calls, reasoning, a mid-stream error and usage, over every framing
# the replay upstream serves (SSE, Gemini SSE, Bedrock's binary event stream, Ollama's NDJSON).
TEXT = "anthropic/text-pings-padding"
TOOL_CALLS = "gemini/parallel-function-calls"
OPENAI_TOOL_CALLS = "openai/parallel-tool-calls"
REASONING_THEN_TOOL_CALL = "anthropic/thinking-then-tool-use"
REASONING_EVENTSTREAM = "bedrock/reasoning-signature-then-text"
USAGE = "gemini/text-usage-every-chunk"
MIDSTREAM_ERROR = "anthropic/error-midstream-after-text"
MIDSTREAM_ERROR_NDJSON = "ollama/chat-error-midstream"

COMPLETE_CASES = [TEXT, TOOL_CALLS, OPENAI_TOOL_CALLS, REASONING_THEN_TOOL_CALL, REASONING_EVENTSTREAM, USAGE]
ERROR_CASES = [MIDSTREAM_ERROR, MIDSTREAM_ERROR_NDJSON]
ALL_CASES = COMPLETE_CASES + ERROR_CASES

FIXTURE_CREATED = 1_700_000_000  # translators.check.FIXTURE_CREATED: the `created` of every golden


# --- goldens -----------------------------------------------------------------------------------------------------


def provider_of(name: str) -> str:
    return name.split("/", 1)[0]


def golden_path(name: str) -> Path:
    return FIXTURES / f"{name}.openai.sse"


@cache
def golden_bytes(name: str) -> bytes:
    return golden_path(name).read_bytes()


def sse_events(raw: bytes) -> list[bytes]:
    """The events of an SSE body, each with its terminating blank line (the proxy and the goldens use ``\\n``)."""
    return [event + b"\n\n" for event in raw.split(b"\n\n") if event]


def sse_data(raw: bytes) -> list[str]:
    """The ``data:`` payloads of an SSE body, in order (comments such as keep-alives left out)."""
    payloads = []
    for event in sse_events(raw):
        lines = [line[5:].lstrip(" ") for line in event.decode("utf-8").split("\n") if line.startswith("data:")]
        if lines:
            payloads.append("\n".join(lines))
    return payloads


def golden_chunks(name: str) -> list[dict[str, Any]]:
    """The golden's chunk objects: neither ``[DONE]`` nor an error event."""
    chunks = [json.loads(data) for data in sse_data(golden_bytes(name)) if data != "[DONE]"]
    return [chunk for chunk in chunks if "error" not in chunk]


def golden_error(name: str) -> dict[str, Any] | None:
    for data in sse_data(golden_bytes(name)):
        if data != "[DONE]" and "error" in (parsed := json.loads(data)):
            return dict(parsed["error"])
    return None


def fixture_options(name: str) -> dict[str, Any]:
    path = FIXTURES / f"{name}.options.json"
    return dict(json.loads(path.read_text("utf-8"))) if path.exists() else {}


@dataclass(frozen=True)
class ToolCall:
    id: str | None
    name: str
    arguments: str


@dataclass(frozen=True)
class Expected:
    """What a client should read from a fixture, straight from its golden (choice 0)."""

    content: str
    reasoning: str
    tool_calls: list[ToolCall]
    finish_reason: str | None
    usage: dict[str, Any] | None
    error: dict[str, Any] | None = field(default=None)


@cache
def expected(name: str) -> Expected:
    content, reasoning, finish_reason, usage = "", "", None, None
    calls: dict[int, dict[str, Any]] = {}
    for chunk in golden_chunks(name):
        usage = chunk.get("usage") or usage
        for choice in chunk["choices"]:
            if choice["index"] != 0:
                continue
            delta = choice["delta"]
            content += delta.get("content") or ""
            reasoning += delta.get("reasoning_content") or ""
            for call in delta.get("tool_calls") or []:
                entry = calls.setdefault(call["index"], {"id": None, "name": "", "arguments": ""})
                entry["id"] = call.get("id") or entry["id"]
                function = call.get("function") or {}
                entry["name"] += function.get("name") or ""
                entry["arguments"] += function.get("arguments") or ""
            finish_reason = choice.get("finish_reason") or finish_reason
    tool_calls = [ToolCall(**calls[index]) for index in sorted(calls)]
    return Expected(content, reasoning, tool_calls, finish_reason, usage, golden_error(name))


def sdk_fold(chunks: Iterable[Mapping[str, Any]]) -> Any:
    """The openai SDK's own fold (`ChatCompletionStreamState`) of chunk dicts, as `.stream()` builds it."""
    from openai.lib.streaming.chat import ChatCompletionStreamState
    from openai.types.chat import ChatCompletionChunk

    state: ChatCompletionStreamState[None] = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(ChatCompletionChunk.construct(**chunk))
    return state.get_final_completion()


@dataclass(frozen=True)
class StreamableFixture:
    name: str
    include_usage: bool


def _bears_content(event: Mapping[str, Any]) -> bool:
    """Whether a golden event is one the gateway's ``peek()`` stops at (anything but a bare role chunk)."""
    if "error" in event or not event.get("choices"):
        return True
    for choice in event["choices"]:
        if choice.get("finish_reason") is not None:
            return True
        if any(key != "role" and value not in ("", None) for key, value in (choice.get("delta") or {}).items()):
            return True
    return False


def opens_with_error(name: str) -> bool:
    """Whether the golden's first content-bearing event is an error: the proxy answers it with an HTTP error."""
    for data in sse_data(golden_bytes(name)):
        if data == "[DONE]":
            return False
        event = json.loads(data)
        if _bears_content(event):
            return "error" in event
    return False


def _case_name(provider: str, source: Path) -> str:
    return f"{provider}/{source.name.split('.', 1)[0]}"


@cache
def all_fixtures() -> list[StreamableFixture]:
    """Every fixture (name and the ``include_usage`` its golden was made with, which its options may turn off)."""
    from translators.check import discover

    return [
        StreamableFixture(_case_name(case.provider, case.source), bool(case.options.get("include_usage", True)))
        for case in discover([FIXTURES])
    ]


def streamable_fixtures() -> list[StreamableFixture]:
    """The fixtures the proxy streams: all but those with an opening error."""
    return [fixture for fixture in all_fixtures() if not opens_with_error(fixture.name)]


def opening_error_fixtures() -> list[StreamableFixture]:
    return [fixture for fixture in all_fixtures() if opens_with_error(fixture.name)]


def chat_request(name: str, *, stream: bool = True, include_usage: bool = True, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": name, "messages": [{"role": "user", "content": "Hello"}], "stream": stream}
    if stream:
        body["stream_options"] = {"include_usage": include_usage}
    return {**body, **extra}


# --- servers -----------------------------------------------------------------------------------------------------


def free_listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    return sock


def wait_healthy(base_url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"no healthy server at {base_url} after {timeout} s")
        time.sleep(0.05)


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port in a daemon thread; yields its base URL."""
    import uvicorn

    sock = free_listening_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"uvicorn-{port}")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@dataclass
class ServerProcess:
    base_url: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far, from /proc/<pid>/stat."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5), counted from field 3
        return (utime + stime) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def serve_in_subprocess(kind: str, *, delay: float) -> Iterator[ServerProcess]:
    """Run ``serve.py KIND`` (``proxy`` or ``passthrough``) in a child process on an inherited listening socket."""
    sock = free_listening_socket()
    port = sock.getsockname()[1]
    command = [sys.executable, str(SERVE_SCRIPT), kind, "--fd", str(sock.fileno()), "--delay", str(delay)]
    command += ["--fixtures", str(FIXTURES)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(command, pass_fds=[sock.fileno()], env=env)
    sock.close()
    server = ServerProcess(f"http://127.0.0.1:{port}", process)
    try:
        wait_healthy(server.base_url)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
