"""Fixtures of the end-to-end tests: the proxy on localhost, and the Node clients installed with npm."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.support import FIXTURES, NODE_DIR, serve_in_thread


@pytest.fixture(scope="session")
def proxy_url() -> Iterator[str]:
    """The reference proxy over the replay upstream (no delay between events) under uvicorn: its base URL."""
    from translators.proxy import ReplayUpstream, create_app

    with serve_in_thread(create_app(ReplayUpstream(FIXTURES, delay=0.0))) as url:
        yield url


def _node_modules_stale(folder: Path) -> bool:
    marker = folder / "node_modules" / ".package-lock.json"  # npm rewrites it on every install
    if not marker.exists():
        return True
    sources = [folder / "package.json", folder / "package-lock.json"]
    return any(source.exists() and source.stat().st_mtime > marker.stat().st_mtime for source in sources)


@pytest.fixture(scope="session")
def node_clients() -> Path:
    """tests/e2e/node with its npm packages installed (once; again only when package.json or the lock changed)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = " and ".join(name for name, path in (("node", node), ("npm", npm)) if path is None)
        pytest.skip(f"{missing} not found on PATH: install Node.js (>= 20) with npm to run the Node client tests")
    if _node_modules_stale(NODE_DIR):
        command = "ci" if (NODE_DIR / "package-lock.json").exists() else "install"
        result = subprocess.run(
            [npm, command, "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, f"npm {command} in {NODE_DIR} failed:\n{result.stdout}\n{result.stderr}"
    return NODE_DIR
