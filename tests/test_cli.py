"""The command line: translate (file and stdin) and check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.test_anthropic import CREATED, text_stream
from tests.test_api import wire
from translators import stream
from translators.__main__ import main


def cli(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "translators", *args], input=stdin, capture_output=True)


def test_translate_a_file_prints_the_stream_output(tmp_path: Path) -> None:
    body = wire(text_stream("Hello"))
    source = tmp_path / "body.sse"
    source.write_bytes(body)
    result = cli("translate", "--from", "anthropic", str(source), "--created", str(CREATED))
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"".join(stream("anthropic", [body], created=CREATED))


def test_translate_reads_stdin_and_takes_options() -> None:
    body = wire(text_stream("Hi"))
    result = cli(
        "translate", "--from", "anthropic", "-", "--created", "5", "--model", "m", "--id", "x", "--no-usage", stdin=body
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"".join(stream("anthropic", [body], created=5, model="m", id="x", include_usage=False))


def test_translate_rejects_an_unknown_provider() -> None:
    result = cli("translate", "--from", "nope", "-")
    assert result.returncode == 2 and b"invalid choice" in result.stderr


def test_check_reports_missing_goldens_then_updates_and_passes(tmp_path: Path, capsys: object) -> None:
    folder = tmp_path / "anthropic"
    folder.mkdir()
    (folder / "case.sse").write_bytes(wire(text_stream("a")))
    (folder / "notes.md").write_text("not a case")
    assert main(["check", str(tmp_path)]) == 1
    assert main(["check", "--update", str(tmp_path)]) == 0
    assert (folder / "case.openai.sse").exists()
    assert main(["check", str(tmp_path)]) == 0
    (folder / "case.options.json").write_text('{"include_usage": false}')
    assert main(["check", str(tmp_path)]) == 1  # the options change the output


def test_check_rejects_a_missing_folder(tmp_path: Path) -> None:
    assert main(["check", str(tmp_path / "absent")]) == 2
