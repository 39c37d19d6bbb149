"""Command line: ``python -m translators translate|check|replay|serve`` (see ``--help``).

``replay`` and ``serve`` need the ``proxy`` extra (starlette, uvicorn); their modules load only when used."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from translators._registry import PROVIDERS

_READ_SIZE = 64 * 1024


def _pieces(stream: IO[bytes]) -> Iterator[bytes]:
    read = getattr(stream, "read1", stream.read)
    while piece := read(_READ_SIZE):
        yield piece


def _translate(args: argparse.Namespace) -> int:
    from translators import stream

    options: dict[str, Any] = {"include_usage": not args.no_usage, "reasoning_field": args.reasoning_field}
    for name in ("model", "id", "created"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    out = sys.stdout.buffer
    source = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
    try:
        for data in stream(args.provider, _pieces(source), **options):
            out.write(data)
            out.flush()  # a pipe from `curl -N` gets each chunk as it is made
    finally:
        if source is not sys.stdin.buffer:
            source.close()
    return 0


def _check(args: argparse.Namespace) -> int:
    from translators.check import run

    dirs = [Path(d) for d in args.dirs] or [Path("fixtures")]
    missing = [str(d) for d in dirs if not d.is_dir()]
    if missing:
        print(f"not a folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    counts: dict[str, int] = {}
    for result in run(dirs, update=args.update):
        counts[result.status] = counts.get(result.status, 0) + 1
        print(f"{result.status.upper():8} {result.case.name}")
        if result.detail:
            print("         " + result.detail.replace("\n", "\n         "))
    passed = counts.get("pass", 0) + counts.get("updated", 0)
    failed = counts.get("fail", 0) + counts.get("missing", 0)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m translators", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    tr = commands.add_parser("translate", help="translate a provider's streaming body to OpenAI SSE")
    tr.add_argument("--from", dest="provider", required=True, choices=PROVIDERS)
    tr.add_argument("file", nargs="?", default="-", help="the provider's response body; - (default) reads stdin")
    tr.add_argument("--model", help="model name to report (default: the provider's)")
    tr.add_argument("--id", help="stream id (default: derived from the provider's id)")
    tr.add_argument("--created", type=int, help="unix time to report (default: now)")
    tr.add_argument("--reasoning-field", default="reasoning_content", help="delta field for reasoning text")
    tr.add_argument("--no-usage", action="store_true", help="leave out the final usage chunk")
    tr.set_defaults(run=_translate)

    ck = commands.add_parser("check", help="replay fixtures and compare with their goldens")
    ck.add_argument("dirs", nargs="*", help="fixture folders (default: fixtures/)")
    ck.add_argument("--update", action="store_true", help="rewrite goldens from the current output")
    ck.set_defaults(run=_check)

    from translators import proxy, replay

    replay.add_cli(commands)
    proxy.add_cli(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
