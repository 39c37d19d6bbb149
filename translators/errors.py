"""The one error type of the package, and its contract.

`TranslationError` is raised for input that cannot be translated: bytes that do not frame, frames that
are not the provider's JSON, and events that break the provider's own grammar (a delta before the
stream's start event, a content block index never opened, an event that is too large). It is a
`ValueError`, so code that already guards against bad values catches it.

Contract:

* `translate()` / `atranslate()` raise it, and stop.
* `stream()` / `astream()` never raise it: they end the output with an OpenAI error event
  (`data: {"error": {...}}`) carrying the same message, so an HTTP client still sees a clean end.
* No other exception type escapes the package for bad provider input (no `KeyError`, `IndexError`,
  `TypeError`, `UnicodeDecodeError`).

Attributes: `provider` (which translator), `where` (which event or byte offset), `reason` (what was wrong).
"""

from __future__ import annotations

__all__ = ["TranslationError"]


class TranslationError(ValueError):
    """Provider input that cannot be translated: what was wrong, where, and for which provider."""

    def __init__(self, reason: str, *, provider: str | None = None, where: str | None = None) -> None:
        self.reason = reason
        self.provider = provider
        self.where = where
        super().__init__(self._render())

    def _render(self) -> str:
        prefix = f"{self.provider}: " if self.provider else ""
        suffix = f" (at {self.where})" if self.where else ""
        return f"{prefix}{self.reason}{suffix}"

    def located(self, *, provider: str | None = None, where: str | None = None) -> TranslationError:
        """Fill in the provider and location if the raiser did not know them; returns self."""
        if self.provider is None and provider is not None:
            self.provider = provider
        if self.where is None and where is not None:
            self.where = where
        self.args = (self._render(),)
        return self
