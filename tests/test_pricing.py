"""translators.pricing: the price table (validation, lookup, loading) and the credits arithmetic.

The arithmetic is checked on hand-computed examples, and by properties: credits never go down when tokens are
added, and ``credits x credit_unit >= cost > (credits - 10**-decimals) x credit_unit`` (rounded up, by less
than one step).
"""

from __future__ import annotations

import json
import re
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from translators.pricing import ModelPrice, PriceTable, PriceTableError, Tokens, load_prices, split_usage

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "fixtures" / "prices"

SONNET = {"prompt": 3, "cached_prompt": "0.3", "cache_write": "3.75", "completion": 15, "reasoning": 20}


def table(**overrides: Any) -> PriceTable:
    data: dict[str, Any] = {"credit_unit": "0.0001", "models": {"m": SONNET}, **overrides}
    return PriceTable.model_validate(data)


def usage_of(tokens: Tokens) -> dict[str, Any]:
    """The OpenAI-shaped usage whose split is ``tokens`` (prompt includes the cache, completion the reasoning)."""
    return {
        "prompt_tokens": tokens.prompt + tokens.cached_prompt + tokens.cache_write,
        "completion_tokens": tokens.completion + tokens.reasoning,
        "total_tokens": sum(tokens),
        "prompt_tokens_details": {"cached_tokens": tokens.cached_prompt, "cache_write_tokens": tokens.cache_write},
        "completion_tokens_details": {"reasoning_tokens": tokens.reasoning},
    }


# -- the arithmetic -----------------------------------------------------------------------------------------


def test_each_token_kind_at_its_own_price() -> None:
    usage = usage_of(Tokens(prompt=4000, cached_prompt=4000, cache_write=2000, completion=2000, reasoning=1000))
    assert usage["prompt_tokens"] == 10_000 and usage["completion_tokens"] == 3000
    # 4000x3 + 4000x0.3 + 2000x3.75 + 2000x15 + 1000x20 = 12000 + 1200 + 7500 + 30000 + 20000 = 70700 per million
    assert table().cost(usage, "m") == Decimal("0.0707")
    assert table().credits(usage, "m") == 707  # 0.0707 / 0.0001, exact: no rounding


def test_split_usage() -> None:
    usage = {
        "prompt_tokens": 100,
        "completion_tokens": 50,
        "prompt_tokens_details": {"cached_tokens": 30, "cache_write_tokens": 20},
        "completion_tokens_details": {"reasoning_tokens": 40},
    }
    assert split_usage(usage) == Tokens(prompt=50, cached_prompt=30, cache_write=20, completion=10, reasoning=40)


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({}, Tokens(0, 0, 0, 0, 0)),
        (None, Tokens(0, 0, 0, 0, 0)),
        ({"prompt_tokens": None, "completion_tokens": None}, Tokens(0, 0, 0, 0, 0)),
        ({"prompt_tokens": 7, "prompt_tokens_details": None, "completion_tokens_details": None}, Tokens(7, 0, 0, 0, 0)),
        ({"prompt_tokens": 7, "prompt_tokens_details": [1], "completion_tokens_details": "x"}, Tokens(7, 0, 0, 0, 0)),
        ({"prompt_tokens": "7", "completion_tokens": 2.0}, Tokens(0, 0, 0, 0, 0)),
        ({"prompt_tokens": -7, "completion_tokens": True}, Tokens(0, 0, 0, 0, 0)),
        ({"prompt_tokens": 5, "prompt_tokens_details": {"cached_tokens": -3}}, Tokens(5, 0, 0, 0, 0)),
        # more cached than prompt (an inconsistent provider): the cached tokens are billed, the uncached rest is 0
        ({"prompt_tokens": 5, "prompt_tokens_details": {"cached_tokens": 8}}, Tokens(0, 8, 0, 0, 0)),
        ({"completion_tokens": 5, "completion_tokens_details": {"reasoning_tokens": 9}}, Tokens(0, 0, 0, 0, 9)),
    ],
)
def test_odd_usage_counts_as_zero_and_never_raises(usage: Any, expected: Tokens) -> None:
    assert split_usage(usage) == expected
    assert table().credits(usage, "m") == table().credits(usage_of(expected), "m")


def test_exact_decimal_no_float_error() -> None:
    # 3 tokens at 0.1 per million: 3 x 0.1 is 0.30000000000000004 in float, so a float ceiling would bill 4
    prices = table(credit_unit="0.0000001", models={"m": {"prompt": "0.1", "completion": "0.1"}})
    usage = {"prompt_tokens": 3}
    assert prices.cost(usage, "m") == Decimal("0.0000003")
    assert prices.credits(usage, "m") == 3
    assert 3 * 0.1 / 1e6 / 1e-7 > 3  # what the float arithmetic would have done


@pytest.mark.parametrize(
    ("prompt_price", "decimals", "expected"),
    [
        ("3", 0, 1),  # 0.03 credits -> 1
        ("3", 2, Decimal("0.03")),  # exact at 2 places
        ("3.5", 0, 1),  # 0.035 -> 1
        ("3.5", 2, Decimal("0.04")),  # 0.035 -> 0.04, up, not to even
        ("3.5", 3, Decimal("0.035")),
        ("200", 0, 2),  # 2.0 -> 2: an exact amount is not bumped
        ("200.001", 0, 3),  # 2.00001 -> 3
    ],
)
def test_rounding_up(prompt_price: str, decimals: int, expected: int | Decimal) -> None:
    prices = table(decimals=decimals, models={"m": {"prompt": prompt_price, "completion": 0}})
    credits = prices.credits({"prompt_tokens": 1}, "m")
    assert credits == expected
    assert type(credits) is type(expected)
    if isinstance(credits, Decimal):
        assert credits.as_tuple().exponent == -decimals


def test_rounding_once_on_the_total() -> None:
    # 1 prompt token (0.03 credits) + 1 completion token (0.15 credits) = 0.18 -> 1, not 1 + 1
    assert table().credits({"prompt_tokens": 1, "completion_tokens": 1}, "m") == 1


@pytest.mark.parametrize(("decimals", "zero"), [(0, "0"), (2, "0.00"), (6, "0.000000")])
def test_zero_tokens_zero_credits(decimals: int, zero: str) -> None:
    credits = table(decimals=decimals).credits({}, "m")
    assert credits == 0
    assert str(credits) == zero
    assert table().cost({}, "m") == 0


def test_reasoning_defaults_to_completion_price() -> None:
    prices = table(models={"m": {"prompt": 1, "completion": 10}})
    split = {"completion_tokens": 100, "completion_tokens_details": {"reasoning_tokens": 60}}
    assert prices.cost(split, "m") == prices.cost({"completion_tokens": 100}, "m") == Decimal("0.001")


def test_to_credits() -> None:
    assert table().to_credits(Decimal("0.00010001")) == 2
    assert table(decimals=1).to_credits(Decimal("0.00010001")) == Decimal("1.1")


# -- properties ---------------------------------------------------------------------------------------------

prices_st = st.decimals(min_value=0, max_value=100, places=4)
model_st = st.builds(
    ModelPrice,
    prompt=prices_st,
    completion=prices_st,
    cached_prompt=prices_st,
    cache_write=prices_st,
    reasoning=prices_st,
)
table_st = st.builds(
    PriceTable,
    credit_unit=st.decimals(min_value=Decimal("0.000001"), max_value=10, places=6),
    decimals=st.integers(0, 6),
    models=st.fixed_dictionaries({"m": model_st}),
)
count_st = st.integers(0, 10**8)
tokens_st = st.builds(Tokens, count_st, count_st, count_st, count_st, count_st)


@given(tokens_st)
def test_split_inverts_usage_of(tokens: Tokens) -> None:
    assert split_usage(usage_of(tokens)) == tokens


@given(table_st, tokens_st, tokens_st)
def test_more_tokens_never_fewer_credits(prices: PriceTable, tokens: Tokens, more: Tokens) -> None:
    bigger = Tokens(*(a + b for a, b in zip(tokens, more, strict=True)))
    small, large = prices.credits(usage_of(tokens), "m"), prices.credits(usage_of(bigger), "m")
    assert small is not None and large is not None
    assert large >= small


@given(table_st, tokens_st)
def test_credits_cover_the_cost_by_less_than_one_step(prices: PriceTable, tokens: Tokens) -> None:
    usage = usage_of(tokens)
    cost, credits = prices.cost(usage, "m"), prices.credits(usage, "m")
    assert cost is not None and credits is not None
    unit, step = Fraction(prices.credit_unit), Fraction(1, 10**prices.decimals)
    assert Fraction(credits) * unit >= Fraction(cost) > (Fraction(credits) - step) * unit
    assert isinstance(credits, int) if prices.decimals == 0 else -credits.as_tuple().exponent == prices.decimals


json_st = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)
keys_st = st.sampled_from(["prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details"])


@given(st.dictionaries(keys_st | st.text(max_size=5), json_st))
def test_any_usage_dict_is_priced(usage: dict[str, Any]) -> None:
    assert table().credits(usage, "m") is not None


# -- the model --------------------------------------------------------------------------------------------


def test_optional_prices_default_to_their_base() -> None:
    price = ModelPrice(prompt=Decimal(2), completion=Decimal(8))
    assert (price.cached_prompt, price.cache_write, price.reasoning) == (2, 2, 8)
    explicit = ModelPrice.model_validate({"prompt": 2, "completion": 8, "cached_prompt": 0, "reasoning": "9.5"})
    assert explicit.rates == (2, 0, 2, 8, Decimal("9.5"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, Decimal(1)), ("0.25", Decimal("0.25")), (0.1, Decimal("0.1")), ("1e2", Decimal(100)), (Decimal(3), 3)],
)
def test_numbers_and_numeric_strings(value: Any, expected: Decimal) -> None:
    assert ModelPrice.model_validate({"prompt": value, "completion": 0}).prompt == expected


def test_negative_zero_is_zero() -> None:
    assert str(ModelPrice.model_validate({"prompt": "-0", "completion": "-0.0"}).prompt) == "0"


@pytest.mark.parametrize("value", [-1, "-0.01", float("nan"), "NaN", float("inf"), "-Infinity", True, "abc", None])
def test_bad_prices_refused(value: Any) -> None:
    with pytest.raises(ValidationError):
        ModelPrice.model_validate({"prompt": value, "completion": 1})


@pytest.mark.parametrize(
    ("field", "value"),
    [("credit_unit", 0), ("credit_unit", "-1"), ("credit_unit", "inf"), ("decimals", 7), ("decimals", -1)],
)
def test_bad_table_settings_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError, match=field):
        table(**{field: value})


def test_table_defaults_and_frozen() -> None:
    prices = table()
    assert (prices.decimals, prices.currency, prices.default) == (0, "USD", None)
    with pytest.raises(ValidationError):
        prices.decimals = 2  # type: ignore[misc]


def test_model_validate_json() -> None:
    text = '{"credit_unit": "0.0001", "decimals": 2, "models": {"m": {"prompt": 0.1, "completion": "2"}}}'
    prices = PriceTable.model_validate_json(text)
    assert prices.models["m"].rates == (Decimal("0.1"), Decimal("0.1"), Decimal("0.1"), 2, 2)
    assert PriceTable.model_validate_json(prices.model_dump_json()) == prices


# -- lookup -----------------------------------------------------------------------------------------------


def _priced(prompt: int) -> dict[str, int]:
    return {"prompt": prompt, "completion": 0}


LOOKUP = table(
    models={"gpt-4.1": _priced(1), "gpt-4*": _priced(2), "gpt-4.1*": _priced(3), "gpt*": _priced(4)},
    default=_priced(5),
)


@pytest.mark.parametrize(
    ("model", "prompt"),
    [
        ("gpt-4.1", 1),  # exact beats the prefixes that also match
        ("gpt-4.1-mini", 3),  # longest prefix
        ("gpt-4o", 2),
        ("gpt-5", 4),
        ("gpt", 4),  # the prefix itself
        ("claude-sonnet-4", 5),  # default
        ("", 5),
        ("GPT-4.1", 5),  # case-sensitive
    ],
)
def test_lookup_precedence(model: str, prompt: int) -> None:
    price = LOOKUP.price_for(model)
    assert price is not None and price.prompt == prompt


def test_no_price_without_default() -> None:
    prices = table(models={"gpt-4*": _priced(2)})
    assert prices.price_for("claude") is None
    assert prices.cost({"prompt_tokens": 5}, "claude") is None
    assert prices.credits({"prompt_tokens": 5}, "claude") is None


def test_star_alone_matches_everything_before_default() -> None:
    prices = table(models={"*": _priced(7), "a*": _priced(8)}, default=_priced(9))
    assert prices.price_for("b") == prices.models["*"]
    assert prices.price_for("ab") == prices.models["a*"]


def test_star_inside_a_key_refused() -> None:
    with pytest.raises(PriceTableError, match=r'models\["claude-\*-sonnet"\] \(key\): .*may only end'):
        load_prices({"credit_unit": 1, "models": {"claude-*-sonnet": _priced(1)}})


# -- loading ----------------------------------------------------------------------------------------------


def test_example_files_are_the_same_table() -> None:
    from_json = load_prices(EXAMPLES / "example.json")
    from_toml = load_prices(str(EXAMPLES / "example.toml"))
    assert from_json == from_toml
    assert from_json.credit_unit == Decimal("0.0001")
    sonnet = from_json.price_for("claude-sonnet-4-20250514")
    assert sonnet is not None and sonnet.cached_prompt == Decimal("0.3")  # parsed as a decimal, not a float
    assert from_json.price_for("claude-opus-4-5-20251101") == from_json.models["claude-opus-4-5*"]
    # 1000 prompt + 500 completion on Sonnet: (3000 + 7500) / 1e6 = 0.0105 USD = 105 credits
    assert from_json.credits({"prompt_tokens": 1000, "completion_tokens": 500}, "claude-sonnet-4-5") == 105
    assert from_json.credits({"prompt_tokens": 1}, "unknown-model") is None


def test_load_from_mapping_and_upper_case_suffix(tmp_path: Path) -> None:
    data = {"credit_unit": "0.01", "models": {"m": _priced(1)}}
    path = tmp_path / "PRICES.JSON"
    path.write_text(json.dumps(data))
    assert load_prices(data) == load_prices(path) == PriceTable.model_validate(data)


def _bad(tmp_path: Path, name: str, text: str | bytes) -> PriceTableError:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    with pytest.raises(PriceTableError) as info:
        load_prices(path)
    assert str(path) in str(info.value)
    assert info.value.source == str(path)
    assert not isinstance(info.value, ValidationError)
    assert isinstance(info.value, ValueError)
    return info.value


GOOD_TOML = 'credit_unit = 0.0001\n[models."gpt-4.1"]\nprompt = 2\ncompletion = 8\n'


def test_good_toml_baseline(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(GOOD_TOML)
    assert load_prices(path).models["gpt-4.1"].cached_prompt == 2


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("p.toml", GOOD_TOML + "promt = 3\n", r'models\["gpt-4.1"\]\.promt: Extra inputs are not permitted \(got 3\)'),
        ("p.toml", GOOD_TOML.replace("cred", "redit_unit = 1\ncred") + "\n", r"Extra inputs.*\(got 1\)"),
        (
            "p.toml",
            GOOD_TOML.replace("prompt = 2", "prompt = -2.5"),
            r"\.prompt: .*greater than or equal to 0 \(got -2.5\)",
        ),
        ("p.toml", GOOD_TOML.replace("completion = 8", ""), r'models\["gpt-4.1"\]\.completion: Field required$'),
        ("p.toml", GOOD_TOML.replace("0.0001", "0"), r"credit_unit: Input should be greater than 0"),
        ("p.toml", GOOD_TOML.replace("0.0001", "nan"), r"credit_unit: Input should be a finite number"),
        ("p.toml", GOOD_TOML.replace("[models", "decimals = 9\n[models"), r"decimals: .*less than or equal to 6"),
        ("p.toml", GOOD_TOML.replace("[models", "models = 1\n[models"), r"not valid TOML: "),
        ("p.toml", "credit_unit = \n", r"not valid TOML: "),
        ("p.json", '{"credit_unit": 1, "models": {}', r"not valid JSON: "),
        ("p.json", '{"credit_unit": 1, "models": {"m": {"prompt": 1, "completion": []}}}', r"models\.m\.completion: "),
        ("p.json", "[1, 2]", r"^\S+: \(table\): Input should be a valid dictionary"),
        ("p.json", b"\xff\xfe{}", r"cannot read: "),
        ("p.yaml", "credit_unit: 1\n", r"unknown price file type '.yaml'; use .json or .toml"),
        ("p", "{}", r"unknown price file type ''"),
    ],
)
def test_bad_files(tmp_path: Path, name: str, text: str | bytes, problem: str) -> None:
    error = _bad(tmp_path, name, text)
    assert len(error.problems) == 1, error.problems
    assert error.problems[0] in str(error)
    assert re.search(problem, str(error)), str(error)


def test_a_bad_base_price_is_reported_once(tmp_path: Path) -> None:
    # prompt is bad, so the defaults copied from it (cached_prompt, cache_write) are not reported too
    error = _bad(tmp_path, "p.json", '{"credit_unit": 1, "models": {"m": {"prompt": -1}}}')
    assert error.problems == [
        "models.m.prompt: Input should be greater than or equal to 0 (got -1)",
        "models.m.completion: Field required",
    ]
    assert str(error).splitlines()[1:] == [f"  {p}" for p in error.problems]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(PriceTableError, match=r"nope\.toml: cannot read: .*No such file") as info:
        load_prices(path)
    assert isinstance(info.value.__cause__, FileNotFoundError)


def test_toml_without_a_parser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Python 3.10 without tomli: say which extra to install
    monkeypatch.setitem(sys.modules, "tomllib", None)
    monkeypatch.setitem(sys.modules, "tomli", None)
    path = tmp_path / "p.toml"
    path.write_text(GOOD_TOML)
    with pytest.raises(PriceTableError, match=r"reading TOML needs tomli: pip install 'translators\[gateway\]'"):
        load_prices(path)


def test_toml_via_tomli_when_there_is_no_tomllib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tomllib = pytest.importorskip("tomllib")
    monkeypatch.setitem(sys.modules, "tomllib", None)
    monkeypatch.setitem(sys.modules, "tomli", tomllib)  # stands in for tomli: the same API
    path = tmp_path / "p.toml"
    path.write_text(GOOD_TOML)
    assert load_prices(path).models["gpt-4.1"].prompt == 2


def test_long_bad_values_are_shortened() -> None:
    with pytest.raises(PriceTableError) as info:
        load_prices({"credit_unit": 1, "models": {"m": {"prompt": "x" * 500, "completion": 1}}})
    assert len(str(info.value)) < 200
