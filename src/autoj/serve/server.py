"""Running the service with uvicorn: in the foreground (`autoj serve`) or in a background thread.

The thread form serves notebooks and tests: the real server on a loopback port, no subprocess.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

DEFAULT_HOST = "127.0.0.1"


def serve(app: FastAPI, host: str = DEFAULT_HOST, port: int = 8000, log_level: str = "info") -> None:
    """Run until interrupted (uvicorn handles SIGINT/SIGTERM and drains open requests)."""
    uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False)


@contextmanager
def serve_in_thread(app: FastAPI, host: str = DEFAULT_HOST, startup_timeout_s: float = 20.0) -> Iterator[str]:
    """The app served on a free loopback port for the duration of the block; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", server_header=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the judge service did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
