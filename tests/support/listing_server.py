"""A real HTTP server on 127.0.0.1 serving Hugging Face Daily Papers and arXiv export API fixtures.

    server.hf("2026-03-12", Page.fixture("hf/2026-03-12.json"))        # GET /api/daily_papers?date=...
    server.arxiv("2026-03-12", 0, Page.fixture("arxiv/..."))           # GET /api/query?...submittedDate...&start=0
    server.hf("2026-03-13", Page(status=503, headers={"Retry-After": "0"}), Page.fixture(...))  # in order
    server.requests          # (key, headers) of every request, in order
    server.base_url          # for HF_BASE_URL / ARXIV_BASE_URL

Replies for one key are consumed in order, the last one repeating. A page with an `etag` answers 304 to a
request carrying it in If-None-Match. An unscripted day is answered as the real API answers a day with no
listing (`[]`, or a feed with no entry). Delays wait on an event that `stop()` sets.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
EMPTY_FEED = (FIXTURES / "arxiv" / "empty.xml").read_bytes()
_DAY = re.compile(r"submittedDate:\[(\d{4})(\d{2})(\d{2})0000")


@dataclass
class Page:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    delay: float = 0.0
    cut_at: int | None = None  # close the connection after this many bytes of the body

    @classmethod
    def fixture(cls, name: str, **options: object) -> Page:
        kind = "application/atom+xml; charset=utf-8" if name.endswith(".xml") else (
            "text/html; charset=utf-8" if name.endswith(".html") else "application/json; charset=utf-8")
        return cls(body=(FIXTURES / name).read_bytes(), content_type=kind, **options)  # type: ignore[arg-type]


class ListingServer:
    def __init__(self) -> None:
        self._pages: dict[str, list[Page]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._stopped = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server._handle(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def hf(self, day: str, *pages: Page) -> None:
        self._pages[f"hf {day}"] = list(pages)

    def arxiv(self, day: str, start: int, *pages: Page) -> None:
        self._pages[f"arxiv {day} {start}"] = list(pages)

    def requested(self) -> list[str]:
        return [key for key, _ in self.requests]

    def _key(self, path: str, query: dict[str, str]) -> str:
        if path == "/api/daily_papers":
            return f"hf {query.get('date', '')}"
        match = _DAY.search(query.get("search_query", ""))
        day = f"{match.group(1)}-{match.group(2)}-{match.group(3)}" if match else "?"
        return f"arxiv {day} {query.get('start', '0')}"

    def _next(self, key: str) -> Page | None:
        queue = self._pages.get(key)
        if not queue:
            return None
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parsed = urllib.parse.urlsplit(handler.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        key = self._key(parsed.path, query)
        self.requests.append((key, dict(handler.headers.items())))
        page = self._next(key)
        if page is None:
            page = (Page(b"[]") if key.startswith("hf") else
                    Page(EMPTY_FEED, content_type="application/atom+xml; charset=utf-8"))
        if page.delay and self._stopped.wait(page.delay):
            return
        if page.etag and handler.headers.get("If-None-Match") == page.etag:
            handler.send_response(304)
            handler.send_header("ETag", page.etag)
            handler.end_headers()
            return
        handler.send_response(page.status)
        handler.send_header("Content-Type", page.content_type)
        handler.send_header("Content-Length", str(len(page.body)))
        if page.etag:
            handler.send_header("ETag", page.etag)
        for name, value in page.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        body = page.body if page.cut_at is None else page.body[: page.cut_at]
        try:
            handler.wfile.write(body)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return
        if page.cut_at is not None:
            handler.close_connection = True

    def stop(self) -> None:
        self._stopped.set()
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def listing_server() -> Iterator[ListingServer]:
    server = ListingServer()
    yield server
    server.stop()
