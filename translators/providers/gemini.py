"""Gemini ``streamGenerateContent`` (AI Studio and Vertex AI) → OpenAI Chat Completions chunks.

Docs: https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent (the response),
https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/GenerateContentResponse,
https://ai.google.dev/gemini-api/docs/thinking (thought parts, signatures),
https://ai.google.dev/gemini-api/docs/thought-signatures,
https://cloud.google.com/vertex-ai/generative-ai/docs/multimodal/function-calling#streaming-arguments
(``partialArgs``), https://ai.google.dev/gemini-api/docs/google-search (grounding).

A body whose first non-whitespace byte is ``{`` is not a stream but the API's error object (an HTTP error
answers so, with ``alt=sse`` too): it is read whole and ends in an error event.

The body is a sequence of ``GenerateContentResponse`` objects (SSE with ``alt=sse``, else one JSON array
streamed element by element). Each carries ``candidates`` (each with ``content.parts`` and, on its last
chunk, ``finishReason``), cumulative ``usageMetadata``, ``modelVersion`` and ``responseId``. There is no
terminal event: the stream is complete when every choice has its ``finishReason`` (or the prompt was
blocked) and the body ends.

==============================================  ===================================================================
Gemini                                          OpenAI chunk
==============================================  ===================================================================
first object                                    ``id`` = ``"chatcmpl-" + responseId`` (else ``"chatcmpl-gemini-"
                                                + created``), ``model`` = modelVersion, ``created`` = createTime
                                                (Vertex; else the clock, once); the options override all three
candidate ``index`` (absent: 0)                 ``choices[].index``; a choice's first chunk carries the role, and
                                                lower indexes not yet seen are announced first (role chunks)
text part                                       ``delta.content`` (``""`` skipped)
text part with ``thought: true``                ``delta.<reasoning_field>`` and a ``reasoning_details`` entry
                                                ``{"type": "reasoning.text", "text", "format"}``; consecutive
                                                thought parts continue one entry
``thoughtSignature`` on a thought part          ``signature`` on that ``reasoning.text`` entry
``thoughtSignature`` on any other part          a ``reasoning_details`` entry ``{"type": "reasoning.encrypted",
                                                "data": signature, "format"}`` in the same chunk as the part
                                                (with ``"id"`` = the tool call id on a function call)
``functionCall {name, args}``                   a tool call: ``id`` = functionCall.id, else ``"call_<stream id
                                                stem>_<n>"`` (n counts the stream's calls from 0);
                                                ``arguments`` = the JSON of ``args`` (``"{}"`` without) in the
                                                first delta; the signature also as ``extra_content.google.
                                                thought_signature`` on the tool call (Google's OpenAI endpoint)
``functionCall {name, willContinue: true}``,    Vertex streamed arguments: the call opens with ``arguments: ""``;
then ``{partialArgs, willContinue}``*, then     each ``partialArgs`` piece becomes an ``arguments`` fragment of a
``functionCall {}`` (no willContinue)           streaming JSON writer keyed by ``jsonPath`` (`ArgumentsWriter`);
                                                the closing call sends the closing brackets. The fragments
                                                concatenate to exactly the JSON of the final arguments
``inlineData`` with an ``image/*`` mimeType     ``delta.images`` entry ``{"type": "image_url", "image_url":
                                                {"url": "data:<mime>;base64,<data>"}}`` (OpenRouter's shape)
any other part (``executableCode``,             ``delta.server_blocks`` entry ``{"index", "type": <the part's
``codeExecutionResult``, ``fileData``,          kind>, **part}``: the part as sent, signature aside
``functionResponse``, other inlineData, …)
``groundingMetadata`` (non-empty)               ``delta.annotations``: a ``url_citation`` per (groundingSupport,
                                                chunk index) whose chunk has a ``uri``; and ``delta.
                                                grounding_metadata`` entry ``{"index", **groundingMetadata}``
``citationMetadata`` (citationSources or        ``delta.annotations``: ``url_citation`` when the source has a
citations)                                      ``uri``, else ``{"type": "citation", start_index, end_index}``;
                                                each carries the source as ``citation``; repeats are sent once
``logprobsResult``                              a chunk with OpenAI ``logprobs.content`` (chosen and top tokens)
``finishReason``                                the finish chunk: ``finish_reason`` from `FINISH_REASONS`,
                                                ``native_finish_reason`` = finishReason; ``candidate_metadata`` =
                                                the candidate's other fields (safetyRatings, finishMessage,
                                                avgLogprobs, urlContextMetadata, …; last value of each);
                                                ``prompt_feedback`` when the stream had one
``promptFeedback.blockReason``, no candidates   choice 0 finishes ``content_filter``, ``native_finish_reason`` =
                                                blockReason, ``prompt_feedback`` = the object
``usageMetadata`` (cumulative)                  merged; the usage chunk at the end (see below)
``{"error": {code, message, status}}``          ``{"error": {"message", "type" (from status, `translators.
                                                _http_errors`), "code": status, "param", "native_error": <the
                                                object>}}``; no ``[DONE]``
end of body, every choice finished (or          the usage chunk (``include_usage``), then ``[DONE]``
the prompt blocked)
end of body otherwise                           ``{"error": {"type": "upstream_truncated", …}}``
==============================================  ===================================================================

Usage: ``prompt_tokens`` = promptTokenCount + toolUsePromptTokenCount; ``completion_tokens`` =
candidatesTokenCount + thoughtsTokenCount; ``total_tokens`` = totalTokenCount (the sum when absent);
``prompt_tokens_details.cached_tokens`` = cachedContentTokenCount;
``completion_tokens_details.reasoning_tokens`` = thoughtsTokenCount; ``native_usage`` = the merged
``usageMetadata``.

Offsets: Gemini's ``startIndex``/``endIndex`` (grounding segments, citation sources) count UTF-8 bytes of
the candidate's text; annotations give ``start_index``/``end_index`` in code points of the choice's
``content``, as OpenAI does.

Ignored on purpose (`IGNORED_FIELDS`): ``createTime``, ``modelStatus`` and the google-genai SDK's own
fields (``sdkHttpResponse``, ``automaticFunctionCallingHistory``, ``parsed``). With ``strict``, any other
unknown top-level field raises `TranslationError`.

Protocol violations raise `TranslationError`: an object that is not a ``GenerateContentResponse``
shape, content for a choice after its ``finishReason``, ``partialArgs`` with no call open, a ``jsonPath``
that is malformed or goes back to a part of the arguments already closed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, Final, TypedDict

from translators._core import Options, ProviderSpec, as_event_dict, stream_builder
from translators._json import dumps, dumps_any, dumps_text
from translators.chunks import ChunkBuilder, ChunkOut, FinishReason, count, error_event, extension_entry, is_count
from translators.errors import TranslationError, stream_error
from translators.events import JSONArrayDecoder, JSONDocumentDecoder, JSONEventDecoder, SniffingDecoder

__all__ = ["FINISH_REASONS", "IGNORED_FIELDS", "SPEC", "ArgumentsWriter", "GeminiTranslator"]

PROVIDER: Final = "gemini"
REASONING_FORMAT: Final = "google-gemini-v1"
MAX_CANDIDATES: Final = 64
"""Largest candidate ``index`` + 1 accepted (the API allows candidateCount up to 8)."""

_FILTERED: Final = (
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
    "MODEL_ARMOR",
    "JAILBREAK",  # a promptFeedback.blockReason
)
FINISH_REASONS: Final[Mapping[str, FinishReason]] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    **{reason: "content_filter" for reason in _FILTERED},
}
"""``finishReason`` → ``finish_reason``. Any other reason (MALFORMED_FUNCTION_CALL, OTHER, LANGUAGE,
UNEXPECTED_TOOL_CALL, TOO_MANY_TOOL_CALLS, …) maps like STOP: a normal end with nothing OpenAI can name
better, and the raw reason in ``native_finish_reason``. ``stop`` becomes ``tool_calls`` when the choice
sent a tool call."""

IGNORED_FIELDS: Final = frozenset(
    {"createTime", "modelStatus", "sdkHttpResponse", "automaticFunctionCallingHistory", "parsed"}
)
_KNOWN_FIELDS: Final = frozenset({"candidates", "usageMetadata", "modelVersion", "responseId", "promptFeedback"})
_PART_MODIFIERS: Final = frozenset({"thought", "thoughtSignature", "partMetadata", "mediaResolution", "videoMetadata"})
_CANDIDATE_HANDLED: Final = frozenset(
    {"content", "index", "finishReason", "groundingMetadata", "citationMetadata", "logprobsResult"}
)


# -- wire shapes (https://ai.google.dev/api/generate-content#generatecontentresponse) -------------------


class FunctionCall(TypedDict, total=False):
    id: str
    name: str
    args: dict[str, Any]
    partialArgs: list[PartialArg]
    willContinue: bool


class PartialArg(TypedDict, total=False):
    jsonPath: str
    stringValue: str
    numberValue: float
    boolValue: bool
    nullValue: str
    willContinue: bool


class Part(TypedDict, total=False):
    text: str
    thought: bool
    thoughtSignature: str
    functionCall: FunctionCall
    inlineData: dict[str, Any]
    executableCode: dict[str, Any]
    codeExecutionResult: dict[str, Any]


class Candidate(TypedDict, total=False):
    index: int
    content: dict[str, Any]
    finishReason: str
    groundingMetadata: dict[str, Any]
    citationMetadata: dict[str, Any]
    logprobsResult: dict[str, Any]
    safetyRatings: list[dict[str, Any]]


class UsageMetadata(TypedDict, total=False):
    promptTokenCount: int
    candidatesTokenCount: int
    thoughtsTokenCount: int
    toolUsePromptTokenCount: int
    cachedContentTokenCount: int
    totalTokenCount: int


class GenerateContentResponse(TypedDict, total=False):
    candidates: list[Candidate]
    usageMetadata: UsageMetadata
    modelVersion: str
    responseId: str
    promptFeedback: dict[str, Any]


# -- streamed function-call arguments ---------------------------------------------------------------

Segment = str | int
"""One step of a jsonPath: an object key or an array index."""


def parse_json_path(path: str) -> tuple[Segment, ...]:
    """An RFC 9535 singular query (``$.a.b[0]['c d']["e\\"f"]``) → ``("a", "b", 0, "c d", 'e"f')``.

    Member names: ``.name`` (letters, digits, ``_``, non-ASCII), or quoted in brackets with the RFC's
    escapes; indexes: ``[n]``. Raises ValueError when malformed.
    """
    if not path.startswith("$"):
        raise ValueError(f"jsonPath {path!r} does not start at $")
    segments: list[Segment] = []
    i, n = 1, len(path)
    while i < n:
        if path[i] == ".":
            end = i + 1
            while end < n and (path[end].isalnum() or path[end] == "_" or not path[end].isascii()):
                end += 1
            if end == i + 1 or path[i + 1].isdigit():
                raise ValueError(f"jsonPath {path!r} has no member name at {i + 1}")
            segments.append(path[i + 1 : end])
            i = end
        elif path[i] == "[":
            segment, i = _bracketed(path, i + 1)
            segments.append(segment)
        else:
            raise ValueError(f"jsonPath {path!r} has {path[i]!r} at {i}")
    if not segments:
        raise ValueError(f"jsonPath {path!r} names no field")
    return tuple(segments)


def _bracketed(path: str, i: int) -> tuple[Segment, int]:
    """The selector after a ``[`` at ``i - 1``, and the offset after its ``]``."""
    i = _skip_blank(path, i)
    if i < len(path) and path[i] in "'\"":
        segment: Segment
        segment, i = _quoted(path, i)
    else:
        end = i
        while end < len(path) and path[end].isascii() and path[end].isdigit():
            end += 1
        if end == i or (path[i] == "0" and end > i + 1):
            raise ValueError(f"jsonPath {path!r} has an invalid selector at {i}")
        segment, i = int(path[i:end]), end
    i = _skip_blank(path, i)
    if i >= len(path) or path[i] != "]":
        raise ValueError(f"jsonPath {path!r} has an unclosed [")
    return segment, i + 1


def _skip_blank(path: str, i: int) -> int:
    while i < len(path) and path[i] in " \t\n\r":
        i += 1
    return i


_ESCAPES: Final = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "/": "/", "\\": "\\", "'": "'", '"': '"'}


def _quoted(path: str, i: int) -> tuple[str, int]:
    """A quoted member name starting at ``path[i]`` (its quote), unescaped; and the offset after it."""
    quote, out, i = path[i], [], i + 1
    while i < len(path) and path[i] != quote:
        char = path[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        escaped = path[i + 1 : i + 2]
        if escaped == "u" and _is_hex(path[i + 2 : i + 6]):
            out.append(chr(int(path[i + 2 : i + 6], 16)))
            i += 6
        elif escaped in _ESCAPES and (escaped not in "'\"" or escaped == quote):
            out.append(_ESCAPES[escaped])
            i += 2
        else:
            raise ValueError(f"jsonPath {path!r} has an invalid escape at {i}")
    if i >= len(path):
        raise ValueError(f"jsonPath {path!r} has an unterminated name")
    name = "".join(out)
    if any("\ud800" <= c <= "\udfff" for c in name):  # a \u surrogate pair names one code point
        name = name.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
    return name, i + 1


def _is_hex(text: str) -> bool:
    return len(text) == 4 and all(c in "0123456789abcdefABCDEF" for c in text)


class _Container:
    __slots__ = ("closer", "keys", "members")

    def __init__(self, closer: str) -> None:
        self.closer = closer  # "}" or "]"
        self.members = 0
        self.keys: set[str] = set()


class ArgumentsWriter:
    """A function call's arguments as a JSON text written piece by piece from Vertex ``partialArgs``.

    ``write(partial_args)`` returns the JSON text those pieces add; ``close()`` returns the text that
    closes everything still open (``"{}"`` if nothing was written). The concatenation of all returned
    texts is the JSON of the final arguments object. A string value stays open while its pieces say
    ``willContinue``; a piece at another path closes it. Keys are written in arrival order; going back
    to an object or array already closed (or to an array index out of order) cannot be streamed and
    raises ValueError.
    """

    __slots__ = ("_path", "_paths", "_stack", "_string", "_string_path_text")

    def __init__(self, paths: dict[str, tuple[Segment, ...]] | None = None) -> None:
        self._path: list[Segment] = []  # the path of the innermost open container (root: [])
        self._stack: list[_Container] = []  # open containers, the root object first
        self._string: tuple[Segment, ...] | None = None  # the path of the string value still open
        self._string_path_text: str | None = None  # the jsonPath text that opened it
        self._paths = paths if paths is not None else {}
        """Parsed jsonPaths by their text (a stream's calls repeat the same few paths); may be shared."""

    def write(self, partial_args: Iterable[Mapping[str, Any]]) -> str:
        return "".join([self._piece(arg) for arg in partial_args])

    def continued(self, arg: Any) -> str | None:
        """The common piece, fast: ``stringValue`` more of the open string, ``willContinue`` true.

        Returns its text, or None when ``arg`` is any other piece (then ``write`` it).
        """
        if (
            type(arg) is dict
            and len(arg) == 3
            and arg.get("willContinue") is True
            and self._string_path_text is not None
            and arg.get("jsonPath") == self._string_path_text
        ):
            text = arg.get("stringValue")
            if type(text) is str:
                try:
                    return dumps(text)[1:-1].decode("utf-8", "surrogatepass")
                except TypeError:  # a lone surrogate: the slow path's encoder
                    return dumps_text(text)[1:-1]
        return None

    def close(self) -> str:
        if not self._stack:
            return "{}"
        text = self._close_string() + "".join(c.closer for c in reversed(self._stack))
        self._stack.clear()
        self._path.clear()
        return text

    def _piece(self, arg: Mapping[str, Any]) -> str:
        if type(arg) is not dict and not isinstance(arg, Mapping):
            raise ValueError("a partialArgs entry is not an object")
        path_text = arg.get("jsonPath")
        if type(path_text) is not str:
            raise ValueError("a partialArgs entry has no jsonPath")
        path = self._paths.get(path_text)
        if path is None:
            path = parse_json_path(path_text)
            if len(self._paths) < _PATH_CACHE_SIZE:
                self._paths[path_text] = path
        more = arg.get("willContinue") is True
        if "stringValue" in arg or (self._string == path and not _has_value(arg)):
            text = self._string_piece(path, arg.get("stringValue", ""), more)
            self._string_path_text = path_text if more else None
            return text
        return self._open_to(path) + _literal(arg, path_text)

    def _string_piece(self, path: tuple[Segment, ...], text: Any, more: bool) -> str:
        if not isinstance(text, str):
            raise ValueError(f"stringValue at {_show(path)} is not a string")
        out = "" if self._string == path else self._open_to(path) + '"'
        out += dumps_text(text)[1:-1]
        if more:
            self._string = path
        else:
            self._string = None
            out += '"'
        return out

    def _close_string(self) -> str:
        if self._string is None:
            return ""
        self._string = self._string_path_text = None
        return '"'

    def _open_to(self, path: tuple[Segment, ...]) -> str:
        """Close what ``path`` leaves, open what it enters, and write the separator and key of its value."""
        out = [self._close_string()]
        parent = path[:-1]
        common = 0
        while common < len(self._path) and common < len(parent) and self._path[common] == parent[common]:
            common += 1
        while len(self._path) > common:  # leave the containers ``path`` is not in
            out.append(self._stack.pop().closer)
            self._path.pop()
        if not self._stack:  # the root object (``common`` is 0: nothing was open)
            self._stack.append(_Container("}"))
            out.append("{")
        for depth in range(common, len(parent)):
            segment = parent[depth]
            out.append(self._member(segment, path))
            child = path[depth + 1]
            self._stack.append(_Container("]" if type(child) is int else "}"))
            self._path.append(segment)
            out.append("[" if type(child) is int else "{")
        out.append(self._member(path[-1], path))
        return "".join(out)

    def _member(self, segment: Segment, path: tuple[Segment, ...]) -> str:
        """The separator and (in an object) the key before a new member of the innermost container."""
        container = self._stack[-1]
        first = container.members == 0
        if container.closer == "}":
            if type(segment) is not str:
                raise ValueError(f"jsonPath {_show(path)} indexes an object")
            if segment in container.keys:
                raise ValueError(f"jsonPath {_show(path)} goes back to {segment!r}, already written")
            container.keys.add(segment)
            container.members += 1
            return ("" if first else ",") + dumps_text(segment) + ":"
        if type(segment) is not int:
            raise ValueError(f"jsonPath {_show(path)} names a key in an array")
        if segment != container.members:
            raise ValueError(f"jsonPath {_show(path)} writes index {segment} of {container.members} written")
        container.members += 1
        return "" if first else ","


_PATH_CACHE_SIZE: Final = 256


def _has_value(arg: Mapping[str, Any]) -> bool:
    return any(key in arg for key in ("stringValue", "numberValue", "boolValue", "nullValue"))


def _literal(arg: Mapping[str, Any], path: str) -> str:
    if "numberValue" in arg:
        number = arg["numberValue"]
        if isinstance(number, (int, float)) and not isinstance(number, bool):
            return dumps_text(number)
    elif "boolValue" in arg:
        if isinstance(arg["boolValue"], bool):
            return "true" if arg["boolValue"] else "false"
    elif "nullValue" in arg:
        return "null"
    raise ValueError(f"partialArgs entry at {path} has no valid value")


def _show(path: tuple[Segment, ...]) -> str:
    return "$" + "".join(f"[{s}]" if type(s) is int else f".{s}" for s in path)


# -- per-choice state -----------------------------------------------------------------------------


class _Call:
    __slots__ = ("id", "tool_index", "writer")

    def __init__(self, call_id: str, tool_index: int, paths: dict[str, tuple[Segment, ...]]) -> None:
        self.id = call_id
        self.tool_index = tool_index
        self.writer = ArgumentsWriter(paths)


class _Choice:
    __slots__ = ("call", "citations", "content", "metadata", "thinking")

    def __init__(self) -> None:
        self.thinking = -1  # the open reasoning.text entry of consecutive thought parts, or -1
        self.call: _Call | None = None  # the function call whose arguments are still streaming
        self.content: list[str] = []  # the answer text so far, for annotation offsets
        self.metadata: dict[str, Any] = {}  # candidate fields kept for the finish chunk
        self.citations: set[bytes] = set()  # citation sources already sent


PartHandler = Callable[["GeminiTranslator", ChunkBuilder, _Choice, int, Mapping[str, Any]], list[ChunkOut]]


class GeminiTranslator:
    """One Gemini stream's translation: ``feed(response)`` per object, then ``finish()``."""

    def __init__(self, options: Options, *, encoded: bool = False) -> None:
        self._options = options
        self._encoded = encoded
        self._out: ChunkBuilder | None = None
        self._choices: dict[int, _Choice] = {}
        self._usage: dict[str, Any] = {}
        self._prompt_feedback: Any = None
        self._blocked = False
        self._calls = 0
        self._paths: dict[str, tuple[Segment, ...]] = {}
        self._strict = options.strict
        self._events = 0
        self.done = False
        self.failed = False

    # -- sans-I/O interface --------------------------------------------------------------------

    def feed(self, event: Mapping[str, Any]) -> list[ChunkOut]:
        self._events += 1
        if "error" in event:
            return self._on_error(event["error"])
        out = self._out if self._out is not None else self._start(event)
        chunks: list[ChunkOut] = []
        feedback = "promptFeedback" in event
        if feedback:  # before the candidates: a finish in this response carries it
            self._prompt_feedback = event["promptFeedback"]
        candidates = event.get("candidates")
        if type(candidates) is list:
            candidate_of = self._candidate
            for candidate in candidates:
                if type(candidate) is not dict and not isinstance(candidate, Mapping):
                    raise self._error("a candidate is not an object")
                candidate_of(out, candidate, chunks)
        elif candidates is not None:
            raise self._error("'candidates' is not a list")
        usage = event.get("usageMetadata")
        if type(usage) is dict or (usage is not None and isinstance(usage, Mapping)):
            self._usage.update(usage)
        elif usage is not None:
            raise self._error("'usageMetadata' is not an object")
        if feedback:
            chunks.extend(self._on_prompt_feedback(out, candidates))
        if self._strict:
            self._check_fields(event)
        return chunks

    def finish(self) -> list[ChunkOut]:
        if self.done:
            return []
        self.done = True
        out = self._out
        choices = self._choices
        complete = out is not None and (
            self._blocked or (bool(choices) and all(out.finished(i) for i in range(max(choices) + 1)))
        )
        if not complete or out is None:
            self.failed = True
            reason = "upstream stream ended before every candidate had a finishReason"
            return [error_event(reason, "upstream_truncated")]
        return [out.usage(self._openai_usage())] if self._options.include_usage else []

    def _on_error(self, error: Any) -> list[ChunkOut]:
        """The API's error object, in the stream or as the whole body: the stream's last event."""
        from translators._http_errors import gemini_reason  # loaded on the first error only

        error = error if isinstance(error, Mapping) else {}
        message = error.get("message")
        self.done = self.failed = True
        event = stream_error(
            PROVIDER,
            message if isinstance(message, str) else "Gemini stream error",
            status=error.get("code"),
            native_type=gemini_reason(error.get("details")),
            native_code=error.get("status"),
        )
        event["error"]["native_error"] = dict(error)
        return [event]

    # -- helpers -------------------------------------------------------------------------------

    def _error(self, reason: str) -> TranslationError:
        return TranslationError(reason, provider=PROVIDER, where=f"response #{self._events}")

    def _start(self, event: Mapping[str, Any]) -> ChunkBuilder:
        """The first object fixes the stream's id and model."""
        created = _unix_time(event.get("createTime"), None)
        self._out = stream_builder(
            self._options,
            PROVIDER,
            upstream_id=event.get("responseId"),
            model=event.get("modelVersion"),
            created=created,
            encoded=self._encoded,
        )
        return self._out

    def _check_fields(self, event: Mapping[str, Any]) -> None:
        for key in event:
            if key not in _KNOWN_FIELDS and key not in IGNORED_FIELDS:
                raise self._error(f"unknown field {key!r}")

    def _new_choice(self, out: ChunkBuilder, index: int, chunks: list[ChunkOut]) -> _Choice:
        if index >= MAX_CANDIDATES:
            raise self._error(f"candidate index {index} is out of range")
        for lower in range(index):  # the openai SDK's fold needs choices to appear in index order
            self._choices.setdefault(lower, _Choice())
            if not out.started(lower):
                chunks.append(out.role(lower))
        choice = self._choices[index] = _Choice()
        return choice

    # -- candidates ----------------------------------------------------------------------------

    def _candidate(self, out: ChunkBuilder, candidate: Mapping[str, Any], chunks: list[ChunkOut]) -> None:
        index = candidate.get("index", 0)
        if type(index) is not int or index < 0:
            raise self._error("candidate 'index' is not a non-negative integer")
        choice = self._choices.get(index) or self._new_choice(out, index, chunks)
        content = candidate.get("content")
        if content is not None:
            parts = content.get("parts") if type(content) is dict or isinstance(content, Mapping) else None
            if type(parts) is list:
                for part in parts:
                    if type(part) is dict:  # the hot paths: plain text, a thought, a streamed call's piece
                        text = part.get("text")
                        if type(text) is str and len(part) == 1:
                            self._text(out, choice, index, text, chunks)
                            continue
                        if (
                            type(text) is str
                            and len(part) == 2
                            and part.get("thought") is True
                            and choice.thinking >= 0
                        ):
                            if text:
                                chunks.append(out.reasoning_fragment(text, choice.thinking, index))
                            continue
                        if len(part) == 1 and "functionCall" in part:
                            call = part["functionCall"]
                            state = choice.call
                            if state is not None and type(call) is dict and len(call) == 2:
                                pieces = call.get("partialArgs")
                                if type(pieces) is list and len(pieces) == 1 and call.get("willContinue") is True:
                                    fragment = state.writer.continued(pieces[0])
                                    if fragment is not None:  # more of the open string value
                                        if fragment:
                                            chunks.append(out.tool_call_arguments(state.tool_index, fragment, index))
                                        continue
                            chunks.extend(self._function_call(out, choice, index, part))
                            continue
                    chunks.extend(self._part(out, choice, index, part))
            elif parts is not None or not isinstance(content, Mapping):
                raise self._error("candidate content has no valid 'parts'")
        if len(candidate) > ("content" in candidate) + ("index" in candidate):
            self._candidate_fields(out, choice, index, candidate, chunks)

    def _candidate_fields(
        self, out: ChunkBuilder, choice: _Choice, index: int, candidate: Mapping[str, Any], chunks: list[ChunkOut]
    ) -> None:
        for key, value in candidate.items():
            if key not in _CANDIDATE_HANDLED:
                choice.metadata[key] = value
        logprobs = candidate.get("logprobsResult")
        if isinstance(logprobs, Mapping) and not out.finished(index):
            chunks.append(out.delta({}, index, logprobs=_openai_logprobs(logprobs)))
        annotations = self._annotations(out, choice, index, candidate)
        if annotations is not None:
            chunks.append(annotations)
        reason = candidate.get("finishReason")
        if reason is not None:
            chunks.extend(self._finish(out, choice, index, reason))

    def _finish(self, out: ChunkBuilder, choice: _Choice, index: int, reason: Any) -> list[ChunkOut]:
        if out.finished(index):
            return []  # a repeated finishReason (a later chunk that only updates usage)
        chunks = self._close_call(out, choice, index)
        finish = FINISH_REASONS.get(reason, "stop") if isinstance(reason, str) else "stop"
        if finish == "stop" and out.tool_calls_started(index):
            finish = "tool_calls"
        extra: dict[str, Any] = {"native_finish_reason": reason}
        if choice.metadata:
            extra["candidate_metadata"] = choice.metadata
        if self._prompt_feedback is not None:
            extra["prompt_feedback"] = self._prompt_feedback
        chunks.append(out.finish(finish, index, **extra))
        return chunks

    def _on_prompt_feedback(self, out: ChunkBuilder, candidates: Any) -> list[ChunkOut]:
        feedback = self._prompt_feedback
        if not isinstance(feedback, Mapping):
            raise self._error("'promptFeedback' is not an object")
        reason = feedback.get("blockReason")
        if reason is None or candidates or self._choices:
            return []
        self._blocked = True
        self._choices[0] = _Choice()
        finish = FINISH_REASONS.get(reason, "content_filter") if isinstance(reason, str) else "content_filter"
        return [out.finish(finish, 0, native_finish_reason=reason, prompt_feedback=feedback)]

    def partial_usage(self) -> dict[str, Any] | None:
        """The usage the stream has reported so far (OpenAI-shaped), for metering a stream cut short;
        None before any."""
        return self._openai_usage() if self._usage else None

    def _openai_usage(self) -> dict[str, Any]:
        u = self._usage
        prompt = count(u.get("promptTokenCount")) + count(u.get("toolUsePromptTokenCount"))
        thoughts = count(u.get("thoughtsTokenCount"))
        completion = count(u.get("candidatesTokenCount")) + thoughts
        total = u.get("totalTokenCount")
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": total if is_count(total) else prompt + completion,
            "prompt_tokens_details": {"cached_tokens": count(u.get("cachedContentTokenCount"))},
            "completion_tokens_details": {"reasoning_tokens": thoughts},
            "native_usage": dict(u),
        }

    # -- parts ---------------------------------------------------------------------------------

    def _text(self, out: ChunkBuilder, choice: _Choice, index: int, text: str, chunks: list[ChunkOut]) -> None:
        choice.thinking = -1
        if text:
            choice.content.append(text)
            chunks.append(out.content(text, index))

    def _part(self, out: ChunkBuilder, choice: _Choice, index: int, part: Any) -> list[ChunkOut]:
        if not isinstance(part, Mapping):
            raise self._error("a part is not an object")
        text = part.get("text")
        if text is not None:
            if not isinstance(text, str):
                raise self._error("a part's 'text' is not a string")
            if part.get("thought") is True:
                return self._thought(out, choice, index, part, text)
            return self._signed_text(out, choice, index, part, text)
        kind = next((key for key in part if key not in _PART_MODIFIERS), None)
        choice.thinking = -1
        if kind is None:  # a part that only carries a signature (or nothing)
            signature = self._signature(part)
            if not signature:
                return []
            return [out.delta({"reasoning_details": [self._encrypted(out, index, signature)]}, index)]
        handler = _PART_KINDS.get(kind, GeminiTranslator._block)
        return handler(self, out, choice, index, part)

    def _signature(self, part: Mapping[str, Any]) -> str | None:
        signature = part.get("thoughtSignature")
        if signature is None or isinstance(signature, str):
            return signature or None
        raise self._error("'thoughtSignature' is not a string")

    def _encrypted(self, out: ChunkBuilder, index: int, signature: str, call_id: str | None = None) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "index": out.next_entry("reasoning_details", index),
            "type": "reasoning.encrypted",
            "data": signature,
            "format": REASONING_FORMAT,
        }
        if call_id is not None:
            entry["id"] = call_id
        return entry

    def _thought(
        self, out: ChunkBuilder, choice: _Choice, index: int, part: Mapping[str, Any], text: str
    ) -> list[ChunkOut]:
        signature = self._signature(part)
        if not text and not signature:
            return []
        if choice.thinking >= 0 and not signature:
            return [out.reasoning_fragment(text, choice.thinking, index)]
        if choice.thinking < 0:  # a new run of thought parts: a new entry, its format sent once
            choice.thinking = out.next_entry("reasoning_details", index)
            entry = {"index": choice.thinking, "type": "reasoning.text", "format": REASONING_FORMAT, "text": text}
        else:
            entry = {"index": choice.thinking, "type": "reasoning.text", "text": text}
        if signature:  # a signature closes its reasoning block: a later thought starts a new entry
            entry["signature"] = signature
            choice.thinking = -1
        return [out.reasoning(text, index, [entry])]

    def _signed_text(
        self, out: ChunkBuilder, choice: _Choice, index: int, part: Mapping[str, Any], text: str
    ) -> list[ChunkOut]:
        choice.thinking = -1
        signature = self._signature(part)
        extra = {key: value for key, value in part.items() if key not in ("text", "thought", "thoughtSignature")}
        if not signature and not extra:
            chunks: list[ChunkOut] = []
            self._text(out, choice, index, text, chunks)
            return chunks
        delta: dict[str, Any] = {}
        if text:
            choice.content.append(text)
            delta["content"] = text
        if signature:
            delta["reasoning_details"] = [self._encrypted(out, index, signature)]
        if extra:  # partMetadata and the like: kept beside the text they qualify
            delta["part_metadata"] = [{"index": out.next_entry("part_metadata", index), **extra}]
        return [out.delta(delta, index)]

    def _function_call(self, out: ChunkBuilder, choice: _Choice, index: int, part: Mapping[str, Any]) -> list[ChunkOut]:
        choice.thinking = -1
        call = part["functionCall"]
        if type(call) is not dict and not isinstance(call, Mapping):
            raise self._error("'functionCall' is not an object")
        name = call.get("name")
        if name is None:
            return self._continue_call(out, choice, index, call, self._signature(part))
        if not isinstance(name, str):
            raise self._error("functionCall 'name' is not a string")
        chunks = self._close_call(out, choice, index)
        call_id = call.get("id")
        if not isinstance(call_id, str) or not call_id:
            call_id = f"call_{out.id.removeprefix('chatcmpl-')}_{self._calls}"
        self._calls += 1
        partial = call.get("partialArgs")
        more = call.get("willContinue") is True
        state = _Call(call_id, out.tool_calls_started(index), self._paths)
        if partial is not None or more:
            arguments = self._write(state, partial, more)
            if more:
                choice.call = state
        else:
            arguments = self._whole_args(call.get("args"))
        signature = self._signature(part)
        if signature:
            google = {"extra_content": {"google": {"thought_signature": signature}}}
            details = {"reasoning_details": [self._encrypted(out, index, signature, call_id)]}
            _, chunk = out.tool_call_start(call_id, name, index, arguments, call_extra=google, delta_extra=details)
        else:
            _, chunk = out.tool_call_start(call_id, name, index, arguments)
        chunks.append(chunk)
        return chunks

    def _continue_call(
        self, out: ChunkBuilder, choice: _Choice, index: int, call: Mapping[str, Any], signature: str | None
    ) -> list[ChunkOut]:
        """A ``functionCall`` without a name: more ``partialArgs`` of the open call, or its end."""
        state = choice.call
        partial = call.get("partialArgs")
        if state is None:
            if partial or call.get("args"):
                raise self._error("functionCall arguments with no call open")
            return []  # a closing ``functionCall: {}`` with nothing open
        more = call.get("willContinue") is True
        fragment = self._write(state, partial, more)
        if not more:
            choice.call = None
        chunks: list[ChunkOut] = []
        if fragment:
            chunks.append(out.tool_call_arguments(state.tool_index, fragment, index))
        if signature:
            chunks.append(out.delta({"reasoning_details": [self._encrypted(out, index, signature, state.id)]}, index))
        return chunks

    def _write(self, state: _Call, partial: Any, more: bool) -> str:
        if partial is not None and type(partial) is not list:
            raise self._error("'partialArgs' is not a list")
        try:
            text = state.writer.write(partial or ())
            return text if more else text + state.writer.close()
        except ValueError as exc:
            raise self._error(str(exc)) from None

    def _close_call(self, out: ChunkBuilder, choice: _Choice, index: int) -> list[ChunkOut]:
        """A streamed call still open when another call starts or the choice finishes: close its JSON."""
        state = choice.call
        if state is None:
            return []
        choice.call = None
        return [out.tool_call_arguments(state.tool_index, state.writer.close(), index)]

    def _whole_args(self, args: Any) -> str:
        if args is None or (isinstance(args, Mapping) and not args):
            return "{}"
        if not isinstance(args, Mapping):
            raise self._error("functionCall 'args' is not an object")
        try:
            return dumps_text(args)
        except ValueError as exc:
            raise self._error(f"functionCall args {exc}") from None

    def _inline_data(self, out: ChunkBuilder, choice: _Choice, index: int, part: Mapping[str, Any]) -> list[ChunkOut]:
        blob = part["inlineData"]
        mime = blob.get("mimeType") if isinstance(blob, Mapping) else None
        data = blob.get("data") if isinstance(blob, Mapping) else None
        if not (isinstance(mime, str) and mime.startswith("image/") and isinstance(data, str)):
            return self._block(out, choice, index, part)
        image = {
            "index": out.next_entry("images", index),
            "type": "image_url",
            "image_url": {"url": f"data:{mime};base64,{data}"},
        }
        delta: dict[str, Any] = {"images": [image]}
        signature = self._signature(part)
        if signature:
            delta["reasoning_details"] = [self._encrypted(out, index, signature)]
        return [out.delta(delta, index)]

    def _block(self, out: ChunkBuilder, choice: _Choice, index: int, part: Mapping[str, Any]) -> list[ChunkOut]:
        kind = next(key for key in part if key not in _PART_MODIFIERS)
        fields = {key: value for key, value in part.items() if key != "thoughtSignature"}
        entry = extension_entry(out.next_entry("server_blocks", index), {"type": kind, **fields})
        delta: dict[str, Any] = {"server_blocks": [entry]}
        signature = self._signature(part)
        if signature:
            delta["reasoning_details"] = [self._encrypted(out, index, signature)]
        return [out.delta(delta, index)]

    # -- grounding and citations ---------------------------------------------------------------

    def _annotations(
        self, out: ChunkBuilder, choice: _Choice, index: int, candidate: Mapping[str, Any]
    ) -> ChunkOut | None:
        grounding = candidate.get("groundingMetadata")
        citations = candidate.get("citationMetadata")
        if not grounding and not citations:
            return None
        offsets = _Offsets("".join(choice.content))
        entries: list[dict[str, Any]] = []
        delta: dict[str, Any] = {}
        if grounding:
            if not isinstance(grounding, Mapping):
                raise self._error("'groundingMetadata' is not an object")
            entries.extend(self._grounding_annotations(out, index, grounding, offsets))
            delta["grounding_metadata"] = [extension_entry(out.next_entry("grounding_metadata", index), grounding)]
        if citations:
            entries.extend(self._citation_annotations(out, choice, index, citations, offsets))
        if entries:
            delta["annotations"] = entries
        return out.delta(delta, index) if delta else None

    def _grounding_annotations(
        self, out: ChunkBuilder, index: int, grounding: Mapping[str, Any], offsets: _Offsets
    ) -> list[dict[str, Any]]:
        sources = grounding.get("groundingChunks")
        supports = grounding.get("groundingSupports")
        if type(sources) is not list or type(supports) is not list:
            return []
        entries = []
        for support in supports:
            segment = support.get("segment") if isinstance(support, Mapping) else None
            chosen = support.get("groundingChunkIndices") if isinstance(support, Mapping) else None
            if not isinstance(segment, Mapping) or type(chosen) is not list:
                continue
            span = offsets.span(segment)
            for source_index in chosen:
                url, title = _source_of(sources, source_index)
                if url is not None:
                    entries.append(_url_citation(out.next_entry("annotations", index), url, title, span))
        return entries

    def _citation_annotations(
        self, out: ChunkBuilder, choice: _Choice, index: int, metadata: Any, offsets: _Offsets
    ) -> list[dict[str, Any]]:
        if not isinstance(metadata, Mapping):
            raise self._error("'citationMetadata' is not an object")
        sources = metadata.get("citationSources", metadata.get("citations"))
        if type(sources) is not list:
            return []
        entries = []
        for source in sources:
            if not isinstance(source, Mapping):
                continue
            try:
                key = dumps_any(source)
            except ValueError as exc:
                raise self._error(f"citation source {exc}") from None
            if key in choice.citations:
                continue  # a source repeated on a later chunk
            choice.citations.add(key)
            span = offsets.span(source)
            uri, title = source.get("uri"), source.get("title")
            entry = (
                _url_citation(out.next_entry("annotations", index), uri, title, span)
                if isinstance(uri, str)
                else {
                    "index": out.next_entry("annotations", index),
                    "type": "citation",
                    "start_index": span[0],
                    "end_index": span[1],
                }
            )
            entry["citation"] = dict(source)
            entries.append(entry)
        return entries


class _Offsets:
    """Gemini's UTF-8 byte offsets into a candidate's text → code point offsets into the same text."""

    __slots__ = ("_bytes", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._bytes = text.encode("utf-8", "surrogatepass") if not text.isascii() else None

    def point(self, offset: Any) -> int:
        if type(offset) is not int or offset <= 0:
            return 0
        if self._bytes is None:
            return min(offset, len(self._text))
        return len(self._bytes[:offset].decode("utf-8", "ignore"))

    def span(self, segment: Mapping[str, Any]) -> tuple[int, int]:
        end = segment.get("endIndex")
        return self.point(segment.get("startIndex", 0)), self.point(end) if is_count(end) else len(self._text)


def _source_of(sources: list[Any], source_index: Any) -> tuple[str | None, Any]:
    if type(source_index) is not int or not 0 <= source_index < len(sources):
        return None, None
    source = sources[source_index]
    if not isinstance(source, Mapping):
        return None, None
    for kind in ("web", "retrievedContext", "maps", "image"):
        found = source.get(kind)
        if isinstance(found, Mapping) and isinstance(found.get("uri"), str):
            return found["uri"], found.get("title")
    return None, None


def _url_citation(index: int, url: str, title: Any, span: tuple[int, int]) -> dict[str, Any]:
    citation = {
        "url": url,
        "title": title if isinstance(title, str) else "",
        "start_index": span[0],
        "end_index": span[1],
    }
    return {"index": index, "type": "url_citation", "url_citation": citation}


def _openai_logprobs(result: Mapping[str, Any]) -> dict[str, Any]:
    """Gemini ``logprobsResult`` → OpenAI ``logprobs`` (``content`` entries with ``top_logprobs``)."""
    chosen = result.get("chosenCandidates")
    top = result.get("topCandidates")
    content = []
    for position, token in enumerate(chosen if type(chosen) is list else ()):
        ranked = top[position] if type(top) is list and position < len(top) else None
        alternatives = ranked.get("candidates") if isinstance(ranked, Mapping) else None
        entry = _logprob(token)
        entry["top_logprobs"] = [_logprob(alt) for alt in alternatives] if type(alternatives) is list else []
        content.append(entry)
    return {"content": content, "refusal": None}


def _logprob(token: Any) -> dict[str, Any]:
    token = token if isinstance(token, Mapping) else {}
    text = token.get("token")
    text = text if isinstance(text, str) else ""
    value = token.get("logProbability")
    return {
        "token": text,
        "logprob": value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0,
        "bytes": list(text.encode("utf-8", "surrogatepass")),
    }


def _unix_time(stamp: Any, default: int | None) -> int | None:
    """Vertex's ``createTime`` (RFC 3339 in UTC, ``2026-04-02T17:03:50.399550Z``) in whole seconds."""
    if not isinstance(stamp, str) or len(stamp) < 20 or stamp[-1] != "Z":
        return default
    if (stamp[4], stamp[7], stamp[10], stamp[13], stamp[16]) != ("-", "-", "T", ":", ":"):
        return default
    fields = (stamp[0:4], stamp[5:7], stamp[8:10], stamp[11:13], stamp[14:16], stamp[17:19])
    if not all(f.isdigit() and f.isascii() for f in fields):
        return default
    try:
        year, month, day, hour, minute, second = map(int, fields)
        return int(datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc).timestamp())
    except ValueError:  # a month 13 and the like
        return default


_PART_KINDS: Final[Mapping[str, PartHandler]] = {
    "functionCall": GeminiTranslator._function_call,
    "inlineData": GeminiTranslator._inline_data,
}
"""Part kinds with their own mapping; every other kind (executableCode, …) is a `server_blocks` entry."""


_URLSAFE_TO_STANDARD: Final = str.maketrans("-_", "+/")


def event_dict(event: Any) -> Mapping[str, Any]:
    """A response dict as is; a google-genai ``GenerateContentResponse`` as its wire dict.

    google-genai serialises bytes (``thoughtSignature``, ``inlineData.data``) as URL-safe base64; the wire
    (and a ``data:`` URL) uses the standard alphabet, so those values are translated back.
    """
    if type(event) is dict or isinstance(event, Mapping):
        return event
    dump: Mapping[str, Any] = _standard_base64(as_event_dict(event))
    return dump


def _standard_base64(value: Any) -> Any:
    if type(value) is dict:
        for key, item in value.items():
            if key == "thoughtSignature" and type(item) is str:
                value[key] = item.translate(_URLSAFE_TO_STANDARD)
            elif key == "inlineData" and type(item) is dict and type(item.get("data")) is str:
                item["data"] = item["data"].translate(_URLSAFE_TO_STANDARD)
            else:
                _standard_base64(item)
    elif type(value) is list:
        for item in value:
            _standard_base64(item)
    return value


def _decoder(max_event_size: int) -> SniffingDecoder:
    """SSE (``alt=sse``) or the JSON array, told apart by the body's first non-whitespace byte."""

    def choose(first: int, limit: int) -> JSONArrayDecoder | JSONDocumentDecoder | JSONEventDecoder:
        if first == ord("["):
            return JSONArrayDecoder(limit)
        if first == ord("{"):  # not a stream: the API's error body ({"error": …}), with alt=sse too
            return JSONDocumentDecoder(limit)
        return JSONEventDecoder(limit)

    return SniffingDecoder(choose, max_event_size)


SPEC: Final = ProviderSpec(name=PROVIDER, translator=GeminiTranslator, decoder=_decoder, to_dict=event_dict)
