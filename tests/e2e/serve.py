"""Launcher of the servers the load test measures in their own process (so that their CPU time is theirs alone).

    python tests/e2e/serve.py proxy --fd N [--delay S] [--fixtures DIR]
    python tests/e2e/serve.py passthrough --fd N [--delay S] [--fixtures DIR]

``proxy``: the reference proxy, `translators.proxy.create_app` over `translators.proxy.ReplayUpstream` (the provider
bodies translated as they are replayed). ``passthrough``: the same HTTP stack serving each fixture's golden
``<case>.openai.sse`` untranslated, one event at a time with the same delay: the baseline the proxy is compared with.
Both serve on the already bound and listening socket ``--fd`` handed down by the parent (no port race), answer
``GET /healthz``, and stop on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any


def passthrough_app(root: Path, delay: float) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    async def chat_completions(request: Request) -> Response:
        body = await request.json()
        path = root / f"{body['model']}.openai.sse"
        if not path.is_file():
            return JSONResponse({"error": {"message": f"no fixture {body['model']!r}"}}, status_code=404)
        events = [event + b"\n\n" for event in path.read_bytes().split(b"\n\n") if event]

        async def paced() -> AsyncIterator[bytes]:
            for n, event in enumerate(events):
                if n and delay:
                    await asyncio.sleep(delay)
                yield event

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(paced(), media_type="text/event-stream", headers=headers)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def proxy_app(root: Path, delay: float) -> Any:
    from translators.proxy import ReplayUpstream, create_app

    return create_app(ReplayUpstream(root, delay=delay))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["proxy", "passthrough"])
    parser.add_argument("--fd", type=int, required=True, help="a listening TCP socket inherited from the parent")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between replayed events")
    parser.add_argument("--fixtures", type=Path, default=Path(__file__).resolve().parents[2] / "fixtures")
    args = parser.parse_args()

    import uvicorn

    app = (proxy_app if args.kind == "proxy" else passthrough_app)(args.fixtures, args.delay)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2)
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=args.fd)])


if __name__ == "__main__":
    main()
