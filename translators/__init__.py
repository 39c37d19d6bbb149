"""Translate LLM providers' native streaming responses into the OpenAI Chat Completions stream.

Public API (see the README):

* `translate(provider, events, **options)`: native event dicts (or SDK event objects) → chunk dicts.
* `atranslate(provider, events, **options)`: the same over an async iterable.
* `stream(provider, body, **options)`: wire bytes in arbitrary pieces → OpenAI SSE bytes.
* `astream(provider, body, **options)`: the same over an async iterable of bytes.
* `PROVIDERS`: the provider names implemented. `TranslationError`: bad provider input.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any

from translators._core import BytePipeline, Options, as_event_dict
from translators._registry import PROVIDERS, spec
from translators._streams import AsyncByteStream, ByteStream
from translators.errors import TranslationError

__all__ = ["PROVIDERS", "TranslationError", "astream", "atranslate", "stream", "translate"]
__version__ = "0.1.0"


def translate(provider: str, events: Iterable[Any], **options: Any) -> Iterator[dict[str, Any]]:
    """Native events → OpenAI ``chat.completion.chunk`` dicts; the last may be ``{"error": {...}}``.

    Raises `TranslationError` on input that breaks the provider's grammar. Stops reading ``events``
    after the provider's terminal event.
    """
    provider_spec = spec(provider)
    opts = Options.from_kwargs(options)
    return _translate(provider_spec.translator(opts), provider_spec.to_dict or as_event_dict, events)


def _translate(translator: Any, to_dict: Any, events: Iterable[Any]) -> Iterator[dict[str, Any]]:
    # a translator made without ``encoded`` returns dict chunks only (see translators.chunks)
    for event in events:
        yield from translator.feed(to_dict(event))
        if translator.done:
            return
    yield from translator.finish()


async def atranslate(provider: str, events: AsyncIterable[Any], **options: Any) -> AsyncIterator[dict[str, Any]]:
    """The async twin of `translate`."""
    provider_spec = spec(provider)
    translator: Any = provider_spec.translator(Options.from_kwargs(options))  # not encoded: dicts only
    to_dict = provider_spec.to_dict or as_event_dict
    async for event in events:
        for chunk in translator.feed(to_dict(event)):
            yield chunk
        if translator.done:
            return
    for chunk in translator.finish():
        yield chunk


def stream(provider: str, body: Iterable[bytes], **options: Any) -> ByteStream:
    """Wire bytes (as read, in any pieces) → OpenAI SSE bytes, ending in ``[DONE]`` or an error event.

    Never raises `TranslationError`: bad input ends the output with an error event. The returned
    iterator owns ``body``: it closes it (when it has ``close``) once the output is complete, when reading
    it raises, and when the caller calls ``close()`` (or leaves a ``with`` block), even before the first
    item.
    """
    return ByteStream(BytePipeline(spec(provider), Options.from_kwargs(options)), body)


def astream(provider: str, body: AsyncIterable[bytes], **options: Any) -> AsyncByteStream:
    """The async twin of `stream`: iterate with ``async for``; ``aclose()`` awaits ``body.aclose()``."""
    return AsyncByteStream(BytePipeline(spec(provider), Options.from_kwargs(options)), body)
