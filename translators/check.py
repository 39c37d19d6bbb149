"""Replay recorded provider bodies and compare each with its golden OpenAI SSE output.

Layout: ``<dir>/<provider>/<case>.<ext>`` is a provider's wire body, as the HTTP response carried it;
``<case>.openai.sse`` beside it is the golden output of `translators.stream` for it; an optional
``<case>.options.json`` holds options for that case, and an optional ``<case>.events.jsonl`` the readable
source a binary body was encoded from (Bedrock's event-stream). The provider is the name of the case's folder.
Goldens are made with ``created`` = `FIXTURE_CREATED` unless the case's options say otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from translators._registry import MODULES
from translators.errors import TranslationError

__all__ = ["FIXTURE_CREATED", "GOLDEN_SUFFIX", "Case", "Result", "discover", "replay", "run"]

FIXTURE_CREATED = 1_700_000_000
GOLDEN_SUFFIX = ".openai.sse"
OPTIONS_SUFFIX = ".options.json"
SOURCE_SUFFIX = ".events.jsonl"
_NOT_CASES = (GOLDEN_SUFFIX, OPTIONS_SUFFIX, SOURCE_SUFFIX, ".md", ".txt")


@dataclass(frozen=True)
class Case:
    provider: str
    source: Path
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.provider}/{self.source.name}"

    @property
    def golden(self) -> Path:
        return self.source.with_name(_stem(self.source) + GOLDEN_SUFFIX)


@dataclass(frozen=True)
class Result:
    case: Case
    status: str  # "pass", "fail", "missing" (no golden), "updated"
    detail: str = ""


def _stem(path: Path) -> str:
    return path.name.split(".", 1)[0]


def discover(dirs: Iterable[Path]) -> Iterator[Case]:
    """Every case under ``dirs``, sorted; a folder not named after a provider is searched, not replayed."""
    for root in dirs:
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.name.startswith(".") or path.name.endswith(_NOT_CASES):
                continue
            provider = path.parent.name
            if provider not in MODULES:
                continue
            options_file = path.with_name(_stem(path) + OPTIONS_SUFFIX)
            options = json.loads(options_file.read_text("utf-8")) if options_file.exists() else {}
            yield Case(provider, path, options)


def replay(case: Case, pieces: Iterable[bytes] | None = None) -> bytes:
    """The OpenAI SSE output of `translators.stream` for a case's body (in ``pieces`` if given)."""
    from translators import stream

    options = {"created": FIXTURE_CREATED, **case.options}
    body = pieces if pieces is not None else [case.source.read_bytes()]
    return b"".join(stream(case.provider, body, **options))


def run(dirs: Iterable[Path], *, update: bool = False) -> Iterator[Result]:
    for case in discover(dirs):
        try:
            output = replay(case)
        except (TranslationError, OSError, ValueError) as exc:  # stream() should never raise: report it
            yield Result(case, "fail", f"raised {type(exc).__name__}: {exc}")
            continue
        golden = case.golden
        if update:
            if not golden.exists() or golden.read_bytes() != output:
                golden.write_bytes(output)
                yield Result(case, "updated")
            else:
                yield Result(case, "pass")
        elif not golden.exists():
            yield Result(case, "missing", f"no {golden.name}; run with --update to write it")
        elif golden.read_bytes() == output:
            yield Result(case, "pass")
        else:
            yield Result(case, "fail", _first_difference(golden.read_bytes(), output))


def _first_difference(expected: bytes, actual: bytes) -> str:
    exp, act = expected.split(b"\n\n"), actual.split(b"\n\n")
    for n, (a, b) in enumerate(zip(exp, act, strict=False)):
        if a != b:
            return f"event {n + 1} differs:\n  golden: {a[:300]!r}\n  actual: {b[:300]!r}"
    return f"golden has {len(exp)} events, output has {len(act)}"
