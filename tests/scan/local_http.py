"""A small HTTP server on 127.0.0.1 for the fetcher's tests (no internet is ever used).

Each route is a function of the request handler. The server counts requests per path,
so a test can tell that a cached URL was not requested again. Responses are HTTP/1.0,
so a body without Content-Length simply ends when the connection closes.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

Route = Callable[[BaseHTTPRequestHandler], None]


def send(
    handler: BaseHTTPRequestHandler,
    body: bytes,
    content_type: str | None = "audio/wav",
    status: int = 200,
    headers: dict[str, str] | None = None,
    length: bool = True,
) -> None:
    """Answer with ``body``; ``length=False`` leaves Content-Length out."""
    handler.send_response(status)
    if content_type is not None:
        handler.send_header("Content-Type", content_type)
    if length:
        handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def redirect(location: str, status: int = 302) -> Route:
    """A route that redirects to ``location``."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        send(handler, b"", content_type=None, status=status, headers={"Location": location})

    return route


def trickle(total_s: float, step_s: float = 0.05) -> Route:
    """A route that sends an audio body one byte at a time, for ``total_s`` seconds."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "audio/mpeg")
        handler.end_headers()
        end = time.monotonic() + total_s
        while time.monotonic() < end:
            handler.wfile.write(b"\x00")
            handler.wfile.flush()
            time.sleep(step_s)

    return route


def endless(chunk: int = 64 * 1024, limit: int = 50_000_000) -> Route:
    """A route that streams audio without Content-Length (a live stream), up to ``limit``."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "audio/mpeg")
        handler.end_headers()
        sent = 0
        while sent < limit:
            handler.wfile.write(b"\xff" * chunk)
            sent += chunk

    return route


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 serving ``routes`` (path -> route)."""

    def __init__(self, routes: dict[str, Route] | None = None) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.hits: Counter[str] = Counter()
        self.host_headers: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                server.hits[path] += 1
                server.host_headers.append(self.headers.get("Host"))
                route = server.routes.get(path)
                try:
                    if route is None:
                        send(self, b"not found", "text/plain", status=404)
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading, as the tests expect it to

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
