"""The iterators that `stream` and `astream` return: thin I/O loops over a `BytePipeline`.

They are classes, not generators, because they own the provider's body: ``close()`` / ``aclose()``
closes it even when called before the first item (a generator closed before it starts never runs its
``finally``, which would leak the upstream connection of a client that left early). The body is also
closed as soon as the output is complete, and when reading it raises.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from types import TracebackType

from translators._core import BytePipeline

__all__ = ["AsyncByteStream", "ByteStream"]

_END = object()


class ByteStream(Iterator[bytes]):
    """OpenAI SSE bytes, one item per provider read that completed something; closes the body."""

    __slots__ = ("_body", "_closed", "_pieces", "_pipeline")

    def __init__(self, pipeline: BytePipeline, body: Iterable[bytes]) -> None:
        self._pipeline = pipeline
        self._body = body
        self._pieces = iter(body)
        self._closed = False

    def __iter__(self) -> ByteStream:
        return self

    def __next__(self) -> bytes:
        pipeline = self._pipeline
        try:
            while not pipeline.done:
                piece = next(self._pieces, _END)
                out = pipeline.close() if piece is _END else pipeline.feed(piece)  # type: ignore[arg-type]
                if out:
                    if pipeline.done:
                        self.close()
                    return out
        except BaseException:
            self.close()
            raise
        self.close()
        raise StopIteration

    def close(self) -> None:
        """Stop: close the provider body (once). Safe to call at any time."""
        if not self._closed:
            self._closed = True
            close = getattr(self._body, "close", None)
            if callable(close):
                close()

    def __enter__(self) -> ByteStream:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class AsyncByteStream(AsyncIterator[bytes]):
    """The async twin of `ByteStream`: ``aclose()`` awaits the body's ``aclose()``."""

    __slots__ = ("_body", "_closed", "_pieces", "_pipeline")

    def __init__(self, pipeline: BytePipeline, body: AsyncIterable[bytes]) -> None:
        self._pipeline = pipeline
        self._body = body
        self._pieces = body.__aiter__()
        self._closed = False

    def __aiter__(self) -> AsyncByteStream:
        return self

    async def __anext__(self) -> bytes:
        pipeline = self._pipeline
        try:
            while not pipeline.done:
                try:
                    piece = await self._pieces.__anext__()
                except StopAsyncIteration:
                    out = pipeline.close()
                else:
                    out = pipeline.feed(piece)
                if out:
                    if pipeline.done:
                        await self.aclose()
                    return out
        except BaseException:
            await self.aclose()
            raise
        await self.aclose()
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stop: close the provider body (once). Safe to call at any time."""
        if not self._closed:
            self._closed = True
            aclose = getattr(self._body, "aclose", None)
            if callable(aclose):
                await aclose()

    async def __aenter__(self) -> AsyncByteStream:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
