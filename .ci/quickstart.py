"""Print shell code block N (1-based) of the README's Quickstart section, so CI runs exactly what users run."""

import re
import sys
from pathlib import Path

text = Path(__file__).resolve().parent.parent.joinpath("README.md").read_text(encoding="utf-8") + "\n## end\n"
section = re.search(r"^#+ *Quick ?start[^\n]*\n(.*?)(?=^#{1,2} )", text, re.S | re.M | re.I)
if section is None:
    sys.exit("README.md has no Quickstart section")
blocks = re.findall(r"```(?:bash|sh|shell|console)?\n(.*?)```", section.group(1), re.S)
number = int(sys.argv[1])
if len(blocks) < number:
    sys.exit(f"the Quickstart has {len(blocks)} shell blocks, not {number}")
print(blocks[number - 1], end="")
