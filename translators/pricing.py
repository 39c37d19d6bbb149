"""Price tables for metering: what a stream's usage costs, in money and in credits.

Not imported by ``import translators``; it needs the ``gateway`` extra (pydantic, and tomli before Python 3.11).

A table gives, per model, prices per **million** tokens, and what one credit is worth in the same currency::

    {
      "credit_unit": "0.0001",
      "decimals": 0,
      "currency": "USD",
      "models": {
        "gpt-4.1": {"prompt": 2, "cached_prompt": 0.5, "completion": 8},
        "claude-sonnet-4*": {"prompt": 3, "cached_prompt": 0.3, "cache_write": 3.75, "completion": 15}
      },
      "default": {"prompt": 1, "completion": 4}
    }

or the same in TOML::

    credit_unit = "0.0001"  # one credit = 1/100 cent
    currency = "USD"

    [models."gpt-4.1"]
    prompt = 2
    cached_prompt = 0.5
    completion = 8

    [models."claude-sonnet-4*"]
    prompt = 3
    cached_prompt = 0.3
    cache_write = 3.75
    completion = 15

    [default]
    prompt = 1
    completion = 4

Prices are exact decimals: numbers or numeric strings, finite and >= 0 (JSON and TOML numbers are read as
decimals, never through float). ``cached_prompt`` and ``cache_write`` default to ``prompt``, ``reasoning`` to
``completion``. Unknown fields are errors. A model is looked up by its exact key, then by the longest key ending
in ``*`` that is a prefix of it, then ``default``; with none of them it has no price (``None``).

Usage is OpenAI-shaped: ``prompt_tokens`` includes ``prompt_tokens_details.cached_tokens`` and
``prompt_tokens_details.cache_write_tokens``, ``completion_tokens`` includes
``completion_tokens_details.reasoning_tokens``. Each kind is billed at its own price::

    cost = (uncached x prompt + cached x cached_prompt + cache_write x cache_write
            + (completion - reasoning) x completion + reasoning x reasoning) / 1_000_000

with ``uncached = max(prompt_tokens - cached - cache_write, 0)``. A count that is missing, null, not an int or
negative counts as 0. The cost is exact (``Decimal``, no float anywhere).

Rounding: ``credits = cost / credit_unit``, rounded **up** (towards +infinity) to ``decimals`` places, once per
stream, on the total (never per token kind). So a stream is never billed less than it used, by less than one
step (``10**-decimals`` credits) more than it used, and 0 tokens cost 0 credits. ``decimals == 0`` gives an
``int``; otherwise a ``Decimal`` with exactly ``decimals`` places.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import reprlib
from collections.abc import Callable, Mapping, Sequence
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, NamedTuple, cast

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from translators.chunks import count

__all__ = ["ModelPrice", "PriceTable", "PriceTableError", "Tokens", "load_prices", "split_usage"]

# Additions and multiplications of finite decimals are exact in this context (it never rounds); no division here.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)

Price = Annotated[Decimal, Field(ge=0, allow_inf_nan=False), AfterValidator(Decimal.copy_abs)]  # "-0" -> 0


class PriceTableError(ValueError):
    """A price table that cannot be read or is not valid: ``source`` (the file) and ``problems`` (one per line)."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "".join(f"\n  {problem}" for problem in self.problems)
        super().__init__(f"{source}: {self.problems[0]}" if len(self.problems) == 1 else f"{source}:{lines}")


class Tokens(NamedTuple):
    """A usage split into disjoint kinds, each billed at its own price (same order as `ModelPrice.rates`)."""

    prompt: int  # uncached, not written to the cache
    cached_prompt: int
    cache_write: int
    completion: int  # without reasoning
    reasoning: int


def _details(usage: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = usage.get(key)
    return cast("Mapping[str, object]", value) if isinstance(value, Mapping) else {}


def split_usage(usage: Mapping[str, object]) -> Tokens:
    """The disjoint token kinds of an OpenAI-shaped usage dict; never raises."""
    if not isinstance(usage, Mapping):
        usage = {}
    prompt_details = _details(usage, "prompt_tokens_details")
    cached = count(prompt_details.get("cached_tokens"))
    written = count(prompt_details.get("cache_write_tokens"))
    reasoning = count(_details(usage, "completion_tokens_details").get("reasoning_tokens"))
    uncached = max(count(usage.get("prompt_tokens")) - cached - written, 0)
    plain = max(count(usage.get("completion_tokens")) - reasoning, 0)
    return Tokens(uncached, cached, written, plain, reasoning)


def _star_only_at_end(key: str) -> str:
    if "*" in key[:-1]:
        raise ValueError("'*' may only end a model name (a prefix match), not be inside it")
    return key


ModelKey = Annotated[str, AfterValidator(_star_only_at_end)]


class ModelPrice(BaseModel):
    """One model's prices per million tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: Price
    completion: Price
    cached_prompt: Price = Field(default_factory=lambda data: data["prompt"])
    cache_write: Price = Field(default_factory=lambda data: data["prompt"])
    reasoning: Price = Field(default_factory=lambda data: data["completion"])

    @property
    def rates(self) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
        """The prices in `Tokens` order."""
        return self.prompt, self.cached_prompt, self.cache_write, self.completion, self.reasoning

    def cost(self, usage: Mapping[str, object]) -> Decimal:
        """The exact money amount of ``usage`` (unrounded)."""
        total = Decimal(0)
        for tokens, rate in zip(split_usage(usage), self.rates, strict=True):
            total = _EXACT.add(total, _EXACT.multiply(tokens, rate))
        return total.scaleb(-6, _EXACT)  # prices are per million tokens: exact / 1_000_000


class PriceTable(BaseModel):
    """Prices per model, and what a credit is worth. See the module docstring for the format and the rounding."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    credit_unit: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
    decimals: int = Field(default=0, ge=0, le=6)
    currency: str = Field(default="USD", min_length=1)
    models: dict[ModelKey, ModelPrice]
    default: ModelPrice | None = None

    def price_for(self, model: str) -> ModelPrice | None:
        """Exact key, else the longest ``prefix*`` key matching, else ``default``, else None."""
        exact = self.models.get(model)
        if exact is not None:
            return exact
        prefixes = (key for key in self.models if key.endswith("*") and model.startswith(key[:-1]))
        best = max(prefixes, key=len, default=None)
        return self.default if best is None else self.models[best]

    def cost(self, usage: Mapping[str, object], model: str) -> Decimal | None:
        """The exact money amount of ``usage`` on ``model`` (unrounded), or None if no price applies."""
        price = self.price_for(model)
        return None if price is None else price.cost(usage)

    def to_credits(self, cost: Decimal) -> int | Decimal:
        """``cost / credit_unit`` rounded up to ``decimals`` places: an int at 0 places, else a Decimal."""
        steps = math.ceil(Fraction(cost) / Fraction(self.credit_unit) * 10**self.decimals)
        return steps if self.decimals == 0 else Decimal(steps).scaleb(-self.decimals, _EXACT)

    def credits(self, usage: Mapping[str, object], model: str) -> int | Decimal | None:
        """The credits to bill for ``usage`` on ``model``, or None if no price applies.

        Rounded up once, on the stream's total: never less than what was used, less than one step
        (``10**-decimals``) more; 0 tokens cost 0 credits.
        """
        cost = self.cost(usage, model)
        return None if cost is None else self.to_credits(cost)


# -- loading ------------------------------------------------------------------------------------------------

_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60


def _where(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for an error in a dict key
            out += " (key)"
        elif isinstance(part, str) and part.isidentifier():
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out or "(table)"


def _problem(error: Mapping[str, Any]) -> str:
    value = error.get("input")
    shown = str(value) if isinstance(value, Decimal) else _SHORT.repr(value)
    got = "" if error["type"] == "missing" else f" (got {shown})"
    return f"{_where(error['loc'])}: {error['msg']}{got}"


def _validate(data: object, source: str) -> PriceTable:
    try:
        return PriceTable.model_validate(data)
    except ValidationError as exc:
        # a default that could not be computed because its base price is bad: the base's error says it all
        errors = [e for e in exc.errors() if e["type"] != "default_factory_not_called"]
        raise PriceTableError(source, [_problem(e) for e in errors]) from None


def _parse_json(text: str) -> object:
    return json.loads(text, parse_float=Decimal)


def _parse_toml(text: str) -> object:
    # tomllib from Python 3.11 on; tomli (the same parser, from the gateway extra) before
    try:
        module = importlib.import_module("tomllib")
    except ModuleNotFoundError:
        module = importlib.import_module("tomli")
    loads = cast("Callable[..., object]", module.loads)
    return loads(text, parse_float=Decimal)


_PARSERS: dict[str, tuple[str, Callable[[str], object]]] = {
    ".json": ("JSON", _parse_json),
    ".toml": ("TOML", _parse_toml),
}


def _read(path: Path) -> object:
    kind = _PARSERS.get(path.suffix.lower())
    if kind is None:
        raise PriceTableError(str(path), [f"unknown price file type {path.suffix!r}; use .json or .toml"])
    name, parse = kind
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PriceTableError(str(path), [f"cannot read: {exc}"]) from exc
    try:
        return parse(text)
    except ModuleNotFoundError as exc:
        raise PriceTableError(
            str(path), [f"reading TOML needs {exc.name}: pip install 'translators[gateway]'"]
        ) from exc
    except ValueError as exc:  # json.JSONDecodeError, tomllib.TOMLDecodeError
        raise PriceTableError(str(path), [f"not valid {name}: {exc}"]) from None


def load_prices(source: str | os.PathLike[str] | Mapping[str, object]) -> PriceTable:
    """A validated `PriceTable` from a ``.json`` or ``.toml`` file, or from already-parsed data.

    Raises `PriceTableError` (a ValueError) naming the file and every problem (field path and what is wrong).
    """
    if isinstance(source, Mapping):
        return _validate(source, "price table")
    path = Path(source)
    return _validate(_read(path), str(path))
