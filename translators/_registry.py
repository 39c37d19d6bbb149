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
    "openai": "translators.providers.openai_chat",
    "azure": "translators.providers.openai_chat",
    "deepseek": "translators.providers.openai_chat",
    "mistral": "translators.providers.openai_chat",
    "xai": "translators.providers.openai_chat",
    "groq": "translators.providers.openai_chat",
    "openrouter": "translators.providers.openai_chat",
    "openai_responses": "translators.providers.openai_responses",
    "bedrock": "translators.providers.bedrock",
    "cohere": "translators.providers.cohere",
    "ollama": "translators.providers.ollama",
}
"""Each provider (and alias) with the module that implements it: its ``SPEC``, or ``SPECS[provider]``
when one module serves several providers (the chat dialects)."""

PROVIDERS: Final = tuple(MODULES)


def spec(provider: str) -> ProviderSpec:
    module = MODULES.get(provider)
    if module is None:
        raise ValueError(f"unknown provider {provider!r}; implemented: {', '.join(PROVIDERS)}")
    loaded = import_module(module)
    specs = getattr(loaded, "SPECS", None)
    found: ProviderSpec = specs[provider] if specs is not None else loaded.SPEC
    return found
