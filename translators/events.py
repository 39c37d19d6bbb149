"""Frames → event dicts: the JSON layer between a wire framing and a provider translator.

`JSONEventDecoder` reads SSE whose ``data`` is one JSON object per event (Anthropic, the OpenAI family, …)
and yields the decoded objects directly: the SSE rules come from `translators.sse.EventStreamDecoder`,
and the JSON step runs in the same pass, with no intermediate `SSEEvent` (this is the hot path of
``stream()``). The SSE ``event:`` name fills in a missing ``"type"``; an event whose data is empty
(or only whitespace) is skipped, as the providers' own SDKs skip it.

Numbers: orjson reads an integer beyond 64 bits (below -2**63 or above 2**64 - 1) as the nearest float;
no provider sends such numbers, and checking every event's bytes for them would cost more than the whole
translation. (Without orjson, the standard library keeps them exact.)

Bad data raises `TranslationError` naming the event's ordinal: data that is not JSON, or JSON that is
not an object. Data that is not valid UTF-8 is read with replacement characters, as the SSE spec says.
"""

from __future__ import annotations

from typing import Any

from translators._json import JSONDecodeError, loads
from translators.errors import TranslationError
from translators.sse import DEFAULT_MAX_EVENT_SIZE, EventStreamDecoder

__all__ = ["JSONEventDecoder", "json_object"]


def json_object(data: bytes | str, name: str, ordinal: int) -> dict[str, Any]:
    """One event's data as a JSON object; ``name`` (the SSE event name) fills a missing ``"type"``."""
    try:
        value = loads(data)
    except JSONDecodeError as exc:
        if isinstance(data, bytes):  # invalid UTF-8: the SSE spec reads it with replacement characters
            return json_object(data.decode("utf-8", "replace"), name, ordinal)
        raise TranslationError(f"SSE data is not JSON: {exc}", where=f"event #{ordinal}") from None
    if type(value) is not dict:
        raise TranslationError(f"SSE data is JSON {type(value).__name__}, not an object", where=f"event #{ordinal}")
    if "type" not in value and name != "message":
        value["type"] = name
    return value


class JSONEventDecoder(EventStreamDecoder[dict[str, Any]]):
    """Bytes in arbitrary pieces → the JSON object of each SSE event."""

    __slots__ = ("events",)

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        super().__init__(max_event_size)
        self.events = 0
        """Events dispatched so far: the ordinal reported in errors."""

    def _event_of(self, data: list[bytes], name: bytes) -> dict[str, Any] | None:
        self.events += 1
        raw = data[0] if len(data) == 1 else b"\n".join(data)
        try:
            value = loads(raw)
        except JSONDecodeError:
            if not raw.strip():
                return None  # an event with empty data carries nothing (the provider SDKs skip it too)
            return json_object(raw, name.decode("utf-8", "replace") if name else "message", self.events)
        if type(value) is dict and "type" in value:
            return value  # the hot path
        return json_object(raw, name.decode("utf-8", "replace") if name else "message", self.events)
