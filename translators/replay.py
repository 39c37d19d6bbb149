"""The replay upstream: recorded provider bodies served over HTTP at a realistic pace, with no API key.

A fixture is a provider's wire body under ``<root>/<provider>/<case>.<ext>`` (the layout of
`translators.check`); its name is ``<provider>/<case>``, e.g. ``anthropic/tool-use-streamed-input``. A
request names the fixture as its model, and gets the body back byte for byte, one event at a time, with
``delay`` seconds between events (none before the first): what a proxy sees from the real service, so a
proxy under test (or in CI) can be pointed at it. Run it with ``translators replay FIXTURES_DIR``
(`add_cli`), or build the app with `replay_app`; `paced` / `paced_sync` give the same pieces in process.

Endpoints of `replay_app`:

=============================================================  ==========================================
request                                                        answer
=============================================================  ==========================================
``POST <any path>`` with a JSON body ``{"model": NAME, ...}``  200: the fixture NAME, streamed
``POST .../models/NAME:streamGenerateContent`` (Gemini style)  the same; the body is not read
``POST /model/NAME/converse-stream`` (Bedrock style)           the same; the body is not read
``?delay=SECONDS`` on any of them                              overrides the app's delay for this request
``GET /fixtures``                                              200: ``[{"name", "provider", "framing",
                                                               "media_type"}, ...]``
=============================================================  ==========================================

In a URL, the ``/`` of a name is written URL-encoded (``gemini%2Fmax-tokens``) or as ``~``
(``gemini~max-tokens``). A stream answer has the fixture's media type (Starlette adds ``charset=utf-8``
to ``text/event-stream``, as Anthropic and OpenAI send it) and ``Cache-Control: no-cache``. Errors are
OpenAI-shaped (``{"error": {"message", "type", "param", "code"}}``): 400 for a body that is not a JSON
object with a string ``model`` and for a bad ``delay``, 404 for an unknown fixture (the message lists
the close names).

Framings, by the body's extension, and how `split_events` cuts a body into events (``b"".join`` of the
pieces is the body, byte for byte):

===============  ========================  ===================================  ===============================
extension        framing                   media type                           one piece
===============  ========================  ===================================  ===============================
``.sse``         ``sse``                   ``text/event-stream``                an event's lines and the blank
                                                                                line(s) ending it
``.json``        ``json-array``            ``application/json``                 one array element: from the
                                                                                separator before it to its
                                                                                ``}`` (the first takes the
                                                                                ``[``, the last the ``]``),
                                                                                as Gemini's reads come
``.ndjson``      ``ndjson``                ``application/x-ndjson``             a line (and blank lines after
                                                                                it)
``.eventstream`` ``eventstream``           ``application/vnd.amazon.            a message, by the total
                                           eventstream``                        length in its prelude
===============  ========================  ===================================  ===============================

Whatever cannot be cut so (a body cut short inside an event, bytes that do not parse) stays whole as
the last piece. Each fixture carries the translation options its golden ``<case>.openai.sse`` was made
with (`Fixture.options`): ``created`` = `translators.check.FIXTURE_CREATED` and the case's
``<case>.options.json``; a proxy that translates with them (and ``include_usage``) reproduces the golden.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import math
import os
import re
import struct
import sys
import time
from collections.abc import AsyncIterator, Iterator
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple

from translators._json import JSONDecodeError, loads
from translators._registry import MODULES
from translators.check import FIXTURE_CREATED, OPTIONS_SUFFIX, discover

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = [
    "DEFAULT_DELAY",
    "FRAMINGS",
    "Fixture",
    "Framing",
    "add_cli",
    "checked_delay",
    "find_fixture",
    "fixtures",
    "paced",
    "paced_sync",
    "replay_app",
    "seconds_argument",
    "split_events",
]

Framing = Literal["sse", "json-array", "ndjson", "eventstream"]
DEFAULT_DELAY: Final = 0.02
"""Seconds between events: about the pace of a fast model's stream."""
FRAMINGS: Final[dict[str, tuple[Framing, str]]] = {
    ".eventstream": ("eventstream", "application/vnd.amazon.eventstream"),
    ".json": ("json-array", "application/json"),
    ".ndjson": ("ndjson", "application/x-ndjson"),
    ".sse": ("sse", "text/event-stream"),
}
"""A body's extension → its framing and the media type it is served with (in the order a name's files are
tried when two bodies share a name)."""

_CASE = re.compile(r"[\w-]+")  # a case name that can be looked for directly (no dots, no slashes)
_GEMINI_URL = re.compile(r"/models/(?P<name>.+):streamGenerateContent$")
_BEDROCK_URL = re.compile(r"/model/(?P<name>.+)/converse-stream$")
_LINE = re.compile(rb"([^\r\n]*)(?:\r\n|\r|\n|\Z)")  # a last line may have no line end
_ARRAY_START = re.compile(r"\ufeff?[ \t\r\n]*\[")
_ARRAY_END = re.compile(r"[ \t\r\n]*\][ \t\r\n]*")
_JSON_TOKEN = re.compile(r"[^ \t\r\n]")
_U32 = struct.Struct(">I")
_MIN_MESSAGE = 16  # an event-stream message's prelude (12 bytes) and CRC (4)


class Fixture(NamedTuple):
    """One recorded body: ``name`` is ``<provider>/<case>``; ``options`` are the translation options of
    its golden (``created`` and the case's ``.options.json``)."""

    name: str
    provider: str
    path: Path
    framing: Framing
    media_type: str
    options: dict[str, Any]


# -- finding fixtures -----------------------------------------------------------------------------------


def _fixture(provider: str, path: Path, options: dict[str, Any] | None = None) -> Fixture:
    """The fixture of a body file whose extension is one of `FRAMINGS`."""
    framing = FRAMINGS[path.suffix]
    if options is None:
        options_file = path.with_name(path.name.split(".", 1)[0] + OPTIONS_SUFFIX)
        options = json.loads(options_file.read_text("utf-8")) if options_file.exists() else {}
    name = f"{provider}/{path.name.split('.', 1)[0]}"
    return Fixture(name, provider, path, framing[0], framing[1], {"created": FIXTURE_CREATED, **options})


def fixtures(root: str | os.PathLike[str]) -> dict[str, Fixture]:
    """Every fixture under ``root`` (searched as `translators.check.discover` does), by name, sorted.

    When two files give one name, the one nearest ``root`` wins, then the extension first in `FRAMINGS`."""
    found: dict[str, Fixture] = {}
    cases = sorted(discover([Path(root)]), key=lambda case: (len(case.source.parts), str(case.source)))
    for case in cases:
        if case.source.suffix in FRAMINGS:
            fixture = _fixture(case.provider, case.source, case.options)
            found.setdefault(fixture.name, fixture)
    return dict(sorted(found.items()))


def find_fixture(root: str | os.PathLike[str], name: str) -> Fixture:
    """The fixture named ``name`` under ``root``; raises `LookupError` (not `KeyError`) listing close names.

    ``<root>/<provider>/<case>.<ext>`` is looked for first, without a search of the whole folder."""
    provider, _, case = name.partition("/")
    if provider in MODULES and _CASE.fullmatch(case):
        for suffix in FRAMINGS:
            path = Path(root, provider, case + suffix)
            if path.is_file():
                return _fixture(provider, path)
    known = fixtures(root)
    if name in known:
        return known[name]
    raise LookupError(f"no fixture {name!r} under {os.fspath(root)}; {_close_names(name, list(known))}")


def _close_names(name: str, names: list[str]) -> str:
    case = name.rpartition("/")[2]
    close = [known for known in names if case and case in known]  # e.g. "tool-use" in "x/tool-use-streamed"
    close += [known for known in difflib.get_close_matches(name, names, n=5, cutoff=0.6) if known not in close]
    close.sort(key=lambda known: not known.startswith(name.partition("/")[0] + "/"))  # the same provider first
    if close:
        return "close names: " + ", ".join(close[:5])
    return f"{len(names)} fixtures, none close (GET /fixtures lists them)"


# -- cutting a body into events -------------------------------------------------------------------------


def split_events(body: bytes, framing: Framing) -> list[bytes]:
    """``body`` cut into its events, one piece each, as the module docstring's table says; the pieces join
    back into ``body`` exactly. An empty body has no pieces."""
    if framing == "sse":
        cuts = _line_cuts(body, sse=True)
    elif framing == "ndjson":
        cuts = _line_cuts(body, sse=False)
    elif framing == "eventstream":
        cuts = _message_cuts(body)
    elif framing == "json-array":
        cuts = _element_cuts(body)
    else:
        raise ValueError(f"unknown framing {framing!r}; known: {', '.join(f for f, _ in FRAMINGS.values())}")
    edges = [0, *cuts, len(body)]
    return [body[start:end] for start, end in pairwise(edges) if end > start]


def _line_cuts(body: bytes, *, sse: bool) -> list[int]:
    """Where events start: at the first non-blank line after an event's end (SSE: a blank line after a
    field or comment; NDJSON: any non-blank line). Lines end in CRLF, LF or CR."""
    cuts: list[int] = []
    ended = in_event = False
    for line in _LINE.finditer(body):
        text = line.group(1)
        if text if sse else text.strip():
            if ended:
                cuts.append(line.start())
                ended = False
            in_event = sse
            ended = not sse
        elif in_event:
            ended, in_event = True, False
    return cuts


def _message_cuts(body: bytes) -> list[int]:
    """The end of each whole event-stream message, by the total length in its prelude."""
    cuts: list[int] = []
    pos = 0
    while len(body) - pos >= _U32.size:
        (total,) = _U32.unpack_from(body, pos)
        if total < _MIN_MESSAGE or pos + total > len(body):
            break  # cut short, or not a message: the rest stays whole
        pos += total
        cuts.append(pos)
    return cuts


def _element_cuts(body: bytes) -> list[int]:
    """The byte offset after each element's closing brace, but the last one's when only the array's
    closing bracket (and whitespace) follows it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return []
    ends = _element_ends(text)
    if ends and _ARRAY_END.fullmatch(text, ends[-1]):
        ends.pop()
    cuts: list[int] = []
    offset = pos = 0
    for end in ends:
        offset += len(text[pos:end].encode("utf-8"))
        pos = end
        cuts.append(offset)
    return cuts


def _element_ends(text: str) -> list[int]:
    """The index after each element of the JSON array ``text`` that parses, up to the first that does not."""
    start = _ARRAY_START.match(text)
    if start is None:
        return []
    decoder = json.JSONDecoder()
    ends: list[int] = []
    pos = start.end()
    while True:
        try:
            _, end = decoder.raw_decode(text, _skip_space(text, pos))
        except ValueError:
            return ends
        ends.append(end)
        pos = _skip_space(text, end)
        if not text.startswith(",", pos):
            return ends
        pos += 1


def _skip_space(text: str, pos: int) -> int:
    found = _JSON_TOKEN.search(text, pos)
    return found.start() if found else len(text)


# -- pacing ---------------------------------------------------------------------------------------------


def checked_delay(delay: float) -> float:
    """``delay`` if it is a finite number of seconds >= 0; else `ValueError`."""
    if not (math.isfinite(delay) and delay >= 0):
        raise ValueError(f"delay must be a finite number of seconds >= 0, not {delay!r}")
    return delay


def _pieces(fixture: Fixture) -> list[bytes]:
    return split_events(fixture.path.read_bytes(), fixture.framing)


async def paced(fixture: Fixture, delay: float) -> AsyncIterator[bytes]:
    """The fixture's events, with ``await asyncio.sleep(delay)`` between them (none before the first)."""
    checked_delay(delay)
    for n, piece in enumerate(_pieces(fixture)):
        if n:
            await asyncio.sleep(delay)
        yield piece


def paced_sync(fixture: Fixture, delay: float) -> Iterator[bytes]:
    """The blocking twin of `paced` (``time.sleep``)."""
    checked_delay(delay)
    for n, piece in enumerate(_pieces(fixture)):
        if n:
            time.sleep(delay)
        yield piece


# -- the HTTP app ---------------------------------------------------------------------------------------


class _BadRequest(Exception):
    def __init__(self, message: str, param: str | None, code: str) -> None:
        super().__init__(message)
        self.param = param
        self.code = code


def _error_body(message: str, kind: str, param: str | None, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _request_delay(value: str | None, default: float) -> float:
    if value is None:
        return default
    try:
        return checked_delay(float(value))
    except ValueError:
        raise _BadRequest(f"delay must be a number of seconds >= 0, not {value!r}", "delay", "invalid_value") from None


def _url_name(path: str) -> str | None:
    """The fixture a Gemini- or Bedrock-style URL names (already percent-decoded; ``~`` stands for ``/``)."""
    found = _GEMINI_URL.search(path) or _BEDROCK_URL.search(path)
    return found["name"].replace("~", "/") if found else None


def _body_name(body: bytes) -> str:
    """The ``model`` of a JSON request body."""
    try:
        request = loads(body)
    except (JSONDecodeError, UnicodeDecodeError):
        raise _BadRequest("the request body is not valid JSON", None, "invalid_json") from None
    if not isinstance(request, dict):
        raise _BadRequest("the request body must be a JSON object", None, "invalid_request")
    model = request.get("model")
    if not isinstance(model, str) or not model:
        raise _BadRequest("'model' must name a fixture, e.g. 'anthropic/tool-use'", "model", "invalid_value")
    return model


def replay_app(root: str | os.PathLike[str], delay: float = DEFAULT_DELAY) -> Starlette:
    """The replay server (the module docstring's endpoints) over the fixtures under ``root``."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    checked_delay(delay)
    folder = Path(root)

    async def listing(request: Request) -> Response:
        return JSONResponse([_listed(fixture) for fixture in fixtures(folder).values()])

    async def replay(request: Request) -> Response:
        try:
            wait = _request_delay(request.query_params.get("delay"), delay)
            name = _url_name(request.url.path) or _body_name(await request.body())
            fixture = find_fixture(folder, name)
        except _BadRequest as exc:
            body = _error_body(str(exc), "invalid_request_error", exc.param, exc.code)
            return JSONResponse(body, status_code=400)
        except LookupError as exc:
            body = _error_body(str(exc), "invalid_request_error", "model", "model_not_found")
            return JSONResponse(body, status_code=404)
        headers = {"Cache-Control": "no-cache"}
        return StreamingResponse(paced(fixture, wait), media_type=fixture.media_type, headers=headers)

    routes = [Route("/fixtures", listing, methods=["GET"]), Route("/{path:path}", replay, methods=["POST"])]
    return Starlette(routes=routes)


def _listed(fixture: Fixture) -> dict[str, str]:
    return {
        "name": fixture.name,
        "provider": fixture.provider,
        "framing": fixture.framing,
        "media_type": fixture.media_type,
    }


# -- the command line -----------------------------------------------------------------------------------


def seconds_argument(value: str) -> float:
    """An argparse ``type``: a finite number of seconds >= 0."""
    try:
        return checked_delay(float(value))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds >= 0: {value!r}") from None


def add_cli(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add the ``replay`` command (``translators replay FIXTURES_DIR [--host] [--port] [--delay]``)."""
    command = subparsers.add_parser("replay", help="serve recorded provider bodies over HTTP, at a realistic pace")
    command.add_argument("fixtures", metavar="FIXTURES_DIR", help="folder of <provider>/<case>.<ext> bodies")
    command.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    command.add_argument("--port", type=int, default=8001, help="port to listen on (default: 8001)")
    command.add_argument(
        "--delay", type=seconds_argument, default=DEFAULT_DELAY, help="seconds between events (default: 0.02)"
    )
    command.set_defaults(run=_serve)
    return command


def _serve(args: argparse.Namespace) -> int:
    root = Path(args.fixtures)
    if not root.is_dir():
        print(f"not a folder: {root}", file=sys.stderr)
        return 2
    try:
        import uvicorn

        app = replay_app(root, args.delay)
    except ImportError as exc:
        print(f"translators replay needs {exc.name or 'uvicorn'}: pip install 'translators[proxy]'", file=sys.stderr)
        return 2
    count = len(fixtures(root))
    print(f"replaying {count} fixtures from {root} on http://{args.host}:{args.port}", file=sys.stderr)
    print("POST with model=<provider>/<case> (GET /fixtures lists them)", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")  # runs until interrupted
    return 0
