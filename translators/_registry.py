"""Provider names → their `ProviderSpec`, imported on first use so ``import translators`` stays cheap."""

from __future__ import annotations

from importlib import import_module
from typing import Final

from translators._core import ProviderSpec

__all__ = ["MODULES", "PROVIDERS", "spec"]

MODULES: Final = {
    "anthropic": "translators.providers.anthropic",
    "gemini": "translators.providers.gemini",
    "vertex": "translators.providers.gemini",
}
"""Each provider (and alias) with the module whose ``SPEC`` implements it."""

PROVIDERS: Final = tuple(MODULES)


def spec(provider: str) -> ProviderSpec:
    module = MODULES.get(provider)
    if module is None:
        raise ValueError(f"unknown provider {provider!r}; implemented: {', '.join(PROVIDERS)}")
    found: ProviderSpec = import_module(module).SPEC
    return found
