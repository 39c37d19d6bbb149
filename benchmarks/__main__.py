"""``python -m benchmarks``: run every measurement, print a table (or ``--json``); exit 0 whatever the targets show."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from benchmarks import Config, NoWorkloadError, run
from benchmarks.report import render


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fast smoke run: 3 rounds, 1k/10k memory, 3 imports")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument("--repeat", type=int, metavar="N", help="timing rounds (default 11, quick 3)")
    parser.add_argument("--gc", action="store_true", help="keep the cyclic GC enabled while timing")
    parser.add_argument(
        "--only",
        metavar="PATTERN",
        action="append",
        help="time only the workloads whose name matches this shell pattern (repeatable; e.g. 'bedrock_*')",
    )
    args = parser.parse_args(argv)
    config = Config.quick() if args.quick else Config()
    if args.repeat is not None:
        if args.repeat < 1:
            parser.error("--repeat must be at least 1")
        config.repeat = args.repeat
    config.gc_enabled = args.gc
    config.only = args.only
    try:
        results = run(config)
    except NoWorkloadError as exc:
        parser.error(str(exc))
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
