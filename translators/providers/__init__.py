"""Provider translators, one module each; `translators._registry` imports them on first use."""
