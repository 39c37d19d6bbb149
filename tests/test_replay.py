"""The replay upstream: fixtures found and named, bodies cut into events, paced, and served byte for byte."""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest

from translators._registry import spec
from translators.check import FIXTURE_CREATED, discover
from translators.eventstream import encode_event
from translators.replay import (
    FRAMINGS,
    Fixture,
    Framing,
    add_cli,
    find_fixture,
    fixtures,
    paced,
    paced_sync,
    replay_app,
    split_events,
)
from translators.sse import SSEDecoder

pytest.importorskip("starlette", reason="starlette is a dev dependency: pip install -e '.[dev]'")
from starlette.testclient import TestClient

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ALL = fixtures(FIXTURES)
PACED = "anthropic/tool-use-streamed-input"  # a dozen events or so
DELAY = 0.05


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(replay_app(FIXTURES, delay=0)) as test_client:
        yield test_client


# -- finding fixtures -----------------------------------------------------------------------------------


def test_every_body_in_fixtures_is_a_fixture_with_its_golden_options() -> None:
    cases = [case for case in discover([FIXTURES]) if case.source.suffix in FRAMINGS]
    assert len(ALL) == len(cases) > 100
    for case in cases:
        fixture = ALL[case.name.split(".", 1)[0]]
        assert (fixture.provider, fixture.path) == (case.provider, case.source)
        assert fixture.options == {"created": FIXTURE_CREATED, **case.options}
        assert (fixture.framing, fixture.media_type) == FRAMINGS[case.source.suffix]
    assert {fixture.framing for fixture in ALL.values()} == {"sse", "json-array", "ndjson", "eventstream"}
    assert ALL["bedrock/options-fixed-id-no-usage"].options["id"] == "chatcmpl-fixed"


def test_find_fixture_agrees_with_the_full_search() -> None:
    for name, fixture in ALL.items():
        assert find_fixture(FIXTURES, name) == fixture
        assert find_fixture(str(FIXTURES), name) == fixture


def test_an_unknown_name_is_a_lookup_error_listing_close_names() -> None:
    with pytest.raises(LookupError) as raised:
        find_fixture(FIXTURES, "gemini/function-call")
    assert not isinstance(raised.value, KeyError)
    message = str(raised.value)
    assert "no fixture 'gemini/function-call'" in message
    assert "close names: gemini/function-call-thought-signature, " in message  # the closest first
    with pytest.raises(LookupError, match="none close"):
        find_fixture(FIXTURES, "zzzz")
    with pytest.raises(LookupError):
        find_fixture(FIXTURES, "anthropic/../anthropic/pause-turn")  # not looked for as a path


def test_nested_folders_duplicates_and_other_files(tmp_path: Path) -> None:
    body = (FIXTURES / "anthropic" / "pause-turn.sse").read_bytes()
    nested = tmp_path / "recorded" / "anthropic"
    nested.mkdir(parents=True)
    (nested / "deep.sse").write_bytes(body)
    (nested / "deep.options.json").write_text('{"model": "m"}')
    (nested / "notes.bin").write_bytes(b"not a body")
    (tmp_path / "anthropic").mkdir()
    (tmp_path / "anthropic" / "deep.ndjson").write_bytes(b"{}\n")  # nearer the root: wins the name
    (tmp_path / "anthropic" / "twice.sse").write_bytes(body)
    (tmp_path / "anthropic" / "twice.eventstream").write_bytes(b"")  # first in FRAMINGS: wins the name
    (tmp_path / "prices").mkdir()
    (tmp_path / "prices" / "table.json").write_text("{}")
    found = fixtures(tmp_path)
    assert list(found) == ["anthropic/deep", "anthropic/twice"]
    assert found["anthropic/deep"].framing == "ndjson" and found["anthropic/twice"].framing == "eventstream"
    assert find_fixture(tmp_path, "anthropic/twice") == found["anthropic/twice"]
    (tmp_path / "anthropic" / "deep.ndjson").unlink()
    deep = find_fixture(tmp_path, "anthropic/deep")  # only found by the search
    assert deep.path == nested / "deep.sse" and deep.options == {"created": FIXTURE_CREATED, "model": "m"}


# -- cutting bodies into events -------------------------------------------------------------------------


def decoded(fixture: Fixture, pieces: list[bytes]) -> list[int]:
    """Events per piece, each piece decoded alone by the provider's decoder (a JSON array, which has no
    meaning in parts, by one decoder fed piece by piece)."""
    make = spec(fixture.provider).decoder
    if fixture.framing == "json-array":
        decoder = make(1 << 24)
        counts = [len(decoder.decode(piece)) for piece in pieces]
        counts[-1] += len(decoder.flush())
        return counts
    counts = []
    for piece in pieces:
        decoder = make(1 << 24)
        counts.append(len(decoder.decode(piece)) + len(decoder.flush()))
    return counts


@pytest.mark.parametrize("name", list(ALL))
def test_split_events_cuts_every_fixture_into_one_event_per_piece(name: str) -> None:
    fixture = ALL[name]
    body = fixture.path.read_bytes()
    pieces = split_events(body, fixture.framing)
    assert b"".join(pieces) == body and all(pieces)
    counts = decoded(fixture, pieces)
    whole = decoded(fixture, [body])
    assert sum(counts) == sum(whole) and set(counts) <= {0, 1}
    for n, (piece, count) in enumerate(zip(pieces, counts, strict=True)):
        if fixture.framing == "sse":
            sse = SSEDecoder()
            events = sse.decode(piece)
            if n < len(pieces) - 1:
                assert len(events) <= 1 and not sse.flush()  # ended by its blank line, nothing after it
            if count == 0:  # only a comment, e.g. ": OPENROUTER PROCESSING"
                assert all(line.startswith(b":") for line in piece.splitlines() if line)
        elif count == 0:
            assert n == len(pieces) - 1 and "truncated" in name  # a body cut inside its last event


def eventstream_body(count: int) -> bytes:
    return b"".join(encode_event({"contentBlockDelta": {"delta": {"text": str(n)}}}) for n in range(count))


@pytest.mark.parametrize(
    ("framing", "body", "pieces"),
    [
        ("sse", b"", []),
        ("sse", b"data: 1\n\ndata: 2\n\n", [b"data: 1\n\n", b"data: 2\n\n"]),
        ("sse", b"\n\nevent: a\ndata: 1\n\n\n\r\ndata: 2", [b"\n\nevent: a\ndata: 1\n\n\n\r\n", b"data: 2"]),
        ("sse", b"data: 1\r\rdata: 2\r\n\r\n: c\r\r", [b"data: 1\r\r", b"data: 2\r\n\r\n", b": c\r\r"]),
        ("sse", b"data: 1\n  \ndata: 2\n\n", [b"data: 1\n  \ndata: 2\n\n"]),  # spaces make no blank line
        ("ndjson", b'{"a":1}\n\n  \n{"b":2}\r\n{"c"', [b'{"a":1}\n\n  \n', b'{"b":2}\r\n', b'{"c"']),
        ("ndjson", b'\n{"a":1}\r{"b":2}', [b'\n{"a":1}\r', b'{"b":2}']),
        ("eventstream", eventstream_body(3)[:-5], None),
        ("eventstream", eventstream_body(2) + b"\x00\x00\x00\x05junk", None),
        ("eventstream", eventstream_body(2) + b"\x00\x00", None),
        (
            "json-array",
            b'[{"a": [1, {"b": "}"}]}\n,\r\n{"c": 2}\n]\n',
            [b'[{"a": [1, {"b": "}"}]}', b'\n,\r\n{"c": 2}\n]\n'],
        ),
        ("json-array", '\ufeff [{"é": 1},{"ü": 2}]'.encode(), ['\ufeff [{"é": 1}'.encode(), ',{"ü": 2}]'.encode()]),
        ("json-array", b'[{"a": 1}, {"b": 2', [b'[{"a": 1}', b', {"b": 2']),  # cut inside an element
        ("json-array", b'[{"a": 1},', [b'[{"a": 1}', b","]),
        ("json-array", b'[{"a": 1}', [b'[{"a": 1}']),
        ("json-array", b'[{"a": 1} {"b": 2}]', [b'[{"a": 1}', b' {"b": 2}]']),
        ("json-array", b"[]", [b"[]"]),
        ("json-array", b'{"a": 1}', [b'{"a": 1}']),  # an error body, not an array
        ("json-array", b'[{"a": "\xff"}]', [b'[{"a": "\xff"}]']),  # not UTF-8: whole
    ],
)
def test_split_events_edge_cases(framing: Framing, body: bytes, pieces: list[bytes] | None) -> None:
    got = split_events(body, framing)
    assert b"".join(got) == body
    if pieces is not None:
        assert got == pieces
    else:  # event stream: whole messages, then what is left in one piece
        messages = eventstream_body(3)
        size = len(messages) // 3
        assert got[:2] == [messages[:size], messages[size : 2 * size]] and len(got) == 3


def test_split_events_refuses_an_unknown_framing() -> None:
    with pytest.raises(ValueError, match="unknown framing 'xml'"):
        split_events(b"<a/>", "xml")  # type: ignore[arg-type]


# -- pacing ---------------------------------------------------------------------------------------------


def gaps(stamps: list[float]) -> list[float]:
    return [later - earlier for earlier, later in pairwise(stamps)]


def test_paced_sleeps_between_events_and_not_before_the_first() -> None:
    fixture = ALL[PACED]
    expected = split_events(fixture.path.read_bytes(), fixture.framing)
    assert len(expected) >= 8

    async def collect() -> tuple[float, list[tuple[float, bytes]]]:
        start = time.perf_counter()
        return start, [(time.perf_counter(), piece) async for piece in paced(fixture, DELAY)]

    start, timed = asyncio.run(collect())
    assert [piece for _, piece in timed] == expected
    stamps = [stamp for stamp, _ in timed]
    assert stamps[0] - start < DELAY / 2
    assert min(gaps(stamps)) >= DELAY * 0.95 and statistics.median(gaps(stamps)) < DELAY + 0.03


def test_paced_sync_is_the_blocking_twin() -> None:
    fixture = ALL[PACED]
    start = time.perf_counter()
    timed = [(time.perf_counter(), piece) for piece in paced_sync(fixture, DELAY / 5)]
    assert [piece for _, piece in timed] == split_events(fixture.path.read_bytes(), fixture.framing)
    stamps = [stamp for stamp, _ in timed]
    assert stamps[0] - start < DELAY / 2 and min(gaps(stamps)) >= DELAY / 5 * 0.95


@pytest.mark.parametrize("delay", [-0.1, float("nan"), float("inf")])
def test_a_bad_delay_is_refused(delay: float) -> None:
    fixture = ALL[PACED]
    with pytest.raises(ValueError, match="delay"):
        next(paced_sync(fixture, delay))

    async def first() -> bytes:
        return await paced(fixture, delay).__anext__()

    with pytest.raises(ValueError, match="delay"):
        asyncio.run(first())
    with pytest.raises(ValueError, match="delay"):
        replay_app(FIXTURES, delay)


# -- the HTTP app ---------------------------------------------------------------------------------------


def test_every_fixture_is_served_byte_exact(client: TestClient) -> None:
    for name, fixture in ALL.items():
        response = client.post("/v1/chat/completions", json={"model": name, "stream": True})
        assert response.status_code == 200, name
        assert response.content == fixture.path.read_bytes(), name
        assert response.headers["content-type"].split(";")[0] == fixture.media_type
        assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/v1beta/models/gemini%2Fmax-tokens:streamGenerateContent?alt=sse", "gemini/max-tokens"),
        ("/v1beta/models/gemini~json-array-thinking:streamGenerateContent", "gemini/json-array-thinking"),
        (
            "/v1/projects/p/locations/us-central1/publishers/google/models/gemini~two-candidates:streamGenerateContent",
            "gemini/two-candidates",
        ),
        ("/model/bedrock~text-cache-read-write/converse-stream", "bedrock/text-cache-read-write"),
        ("/model/bedrock%2Fguardrail-intervened/converse-stream", "bedrock/guardrail-intervened"),
        ("/v1/messages", "anthropic/pause-turn"),  # by the body's model
    ],
)
def test_url_named_models(client: TestClient, path: str, name: str) -> None:
    response = client.post(path, content=json.dumps({"model": "anthropic/pause-turn", "contents": []}))
    assert response.status_code == 200
    assert response.content == ALL[name].path.read_bytes()
    assert response.headers["content-type"].split(";")[0] == ALL[name].media_type


def test_a_url_named_model_needs_no_body(client: TestClient) -> None:
    response = client.post("/model/bedrock~max-tokens-llama/converse-stream", content=b"not json")
    assert response.status_code == 200 and response.content == ALL["bedrock/max-tokens-llama"].path.read_bytes()


def assert_error(response: Any, status: int, code: str, param: str | None) -> dict[str, Any]:
    """An OpenAI-style error answer (``response``: a TestClient response)."""
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", code, param)
    return error


def test_an_unknown_fixture_is_an_openai_style_404(client: TestClient) -> None:
    error = assert_error(
        client.post("/v1/chat/completions", json={"model": "anthropic/tool-use"}), 404, "model_not_found", "model"
    )
    assert "anthropic/tool-use-streamed-input" in error["message"]
    url = "/v1beta/models/gemini~nope:streamGenerateContent"
    assert_error(client.post(url), 404, "model_not_found", "model")


@pytest.mark.parametrize(
    ("content", "code", "param"),
    [
        (b"{not json", "invalid_json", None),
        (b"", "invalid_json", None),
        (b"\xff\xfe", "invalid_json", None),
        (b'["anthropic/pause-turn"]', "invalid_request", None),
        (b'{"messages": []}', "invalid_value", "model"),
        (b'{"model": ""}', "invalid_value", "model"),
        (b'{"model": 7}', "invalid_value", "model"),
    ],
)
def test_a_bad_body_is_an_openai_style_400(client: TestClient, content: bytes, code: str, param: str | None) -> None:
    assert_error(client.post("/v1/chat/completions", content=content), 400, code, param)


@pytest.mark.parametrize("delay", ["abc", "-1", "nan", "inf", ""])
def test_a_bad_delay_query_is_an_openai_style_400(client: TestClient, delay: str) -> None:
    response = client.post(f"/v1/chat/completions?delay={delay}", json={"model": PACED})
    assert_error(response, 400, "invalid_value", "delay")


def test_get_fixtures_lists_names_with_providers(client: TestClient) -> None:
    response = client.get("/fixtures")
    assert response.status_code == 200
    listed = response.json()
    assert [item["name"] for item in listed] == list(ALL)
    assert listed[0] == {
        "name": next(iter(ALL)),
        "provider": "anthropic",
        "framing": "sse",
        "media_type": "text/event-stream",
    }


def test_the_module_imports_without_starlette() -> None:
    code = "import sys, translators.replay; print(sorted({'starlette', 'uvicorn', 'httpx'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# -- a real server: the pace as a client sees it --------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    uvicorn = pytest.importorskip("uvicorn")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(replay_app(FIXTURES, delay=0), log_level="warning", lifespan="off")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    running.should_exit = True
    thread.join(10)
    sock.close()


def arrivals(url: str, json_body: dict[str, Any]) -> list[tuple[float, bytes]]:
    with httpx.Client(timeout=10) as http, http.stream("POST", url, json=json_body) as response:
        assert response.status_code == 200
        return [(time.perf_counter(), chunk) for chunk in response.iter_raw()]


def test_the_delay_is_honoured_over_http(server: str) -> None:
    fixture = ALL[PACED]
    pieces = split_events(fixture.path.read_bytes(), fixture.framing)
    timed = arrivals(f"{server}/v1/messages?delay={DELAY}", {"model": PACED})
    assert b"".join(chunk for _, chunk in timed) == b"".join(pieces)
    stamps, received, boundary = [], 0, 0  # when the last byte of each piece arrived
    ends = [sum(len(piece) for piece in pieces[: n + 1]) for n in range(len(pieces))]
    for stamp, chunk in timed:
        received += len(chunk)
        while boundary < len(ends) and ends[boundary] <= received:
            stamps.append(stamp)
            boundary += 1
    assert len(stamps) == len(pieces)
    assert min(gaps(stamps)) >= DELAY * 0.8  # never two events in one burst
    assert statistics.median(gaps(stamps)) < DELAY + 0.03


def test_the_server_streams_the_default_delay(server: str) -> None:
    timed = arrivals(f"{server}/v1/messages", {"model": "ollama/chat-text"})
    assert b"".join(chunk for _, chunk in timed) == ALL["ollama/chat-text"].path.read_bytes()


# -- the command line -----------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="translators")
    add_cli(root.add_subparsers(dest="command", required=True))
    return root


def test_cli_arguments_and_defaults() -> None:
    args = parser().parse_args(["replay", "fixtures"])
    assert (args.fixtures, args.host, args.port, args.delay) == ("fixtures", "127.0.0.1", 8001, 0.02)
    args = parser().parse_args(["replay", "f", "--host", "0.0.0.0", "--port", "9000", "--delay", "0"])
    assert (args.host, args.port, args.delay) == ("0.0.0.0", 9000, 0.0)


@pytest.mark.parametrize("delay", ["-1", "x", "nan"])
def test_cli_refuses_a_bad_delay(delay: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parser().parse_args(["replay", "fixtures", "--delay", delay])
    assert exited.value.code == 2 and "not a number of seconds" in capsys.readouterr().err


def run_cli(*argv: str) -> int:
    args = parser().parse_args(["replay", *argv])
    handler: Callable[[argparse.Namespace], int] = args.run
    return handler(args)


def test_cli_refuses_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(str(tmp_path / "absent")) == 2
    assert "not a folder" in capsys.readouterr().err


def test_cli_without_uvicorn_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    assert run_cli(str(FIXTURES)) == 2
    assert "pip install 'translators[proxy]'" in capsys.readouterr().err


def test_cli_runs_uvicorn_with_the_app(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    uvicorn = pytest.importorskip("uvicorn")
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append((app, kwargs)))
    assert run_cli(str(FIXTURES), "--port", "9999", "--delay", "0") == 0
    ((app, kwargs),) = calls
    assert kwargs == {"host": "127.0.0.1", "port": 9999, "log_level": "warning"}
    with TestClient(app) as test_client:
        response = test_client.post("/", json={"model": "xai/grok-3-text"})
    assert response.content == ALL["xai/grok-3-text"].path.read_bytes()
    assert f"replaying {len(ALL)} fixtures" in capsys.readouterr().err
