"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests: scripted replies, errors, delays, streaming.

    server.script(Reply("Transformers are ... [1]."), Reply(status=500), ...)   # consumed in order
    server.default_reply = lambda body: Reply("...")                            # when the queue is empty
    server.requests          # parsed JSON bodies of every request received, in order
    server.max_concurrent    # the most requests that were being handled at the same time
    server.base_url          # "http://127.0.0.1:PORT/v1", for OPENAI_BASE_URL

It is thread-based (ThreadingHTTPServer), so it serves whatever event loop the test runs, and every delay
waits on an event that `stop()` sets, so teardown never waits for a scripted 10-second delay to finish.

The default reply understands PaperBot's prompts just enough to be useful to every test: for an answer or
overview request (sources as `<source n="k">` blocks) it returns the first sentence of source 1 cited [1]
(and of source 2 cited [2] when there is one); for a TL;DR request (`<abstract>`) the abstract's first
sentence; for a rerank request (`<candidates>`) the candidates in the order given ("1 > 2 > 3"); for a
follow-up rewrite request the text of `<question>` followed by the first title of `<papers>`.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Reply:
    """One scripted response.

    content: the assistant message (split into word chunks when the client asks to stream).
    status: HTTP status; non-2xx sends an OpenAI-style error body.
    delay: seconds to wait before answering (interruptible by stop()).
    chunks: explicit stream chunks (deltas), overriding the split of `content`.
    chunk_delay: seconds between stream chunks.
    raw_body: sent verbatim instead of a generated body (for malformed JSON, empty choices...).
    usage: the `usage` object to report; None leaves it out (the client must count tokens itself).
    headers: extra response headers (e.g. {"Retry-After": "0"}).
    close_connection: drop the connection without any response.
    finish_reason: reported in the final choice.
    """

    content: str | None = None
    status: int = 200
    delay: float = 0.0
    chunks: list[str] | None = None
    chunk_delay: float = 0.0
    raw_body: str | bytes | None = None
    usage: dict[str, int] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    close_connection: bool = False
    finish_reason: str | None = "stop"  # None: a stream that ends with no finish at all


_SOURCE_RE = re.compile(r'<source n="(\d+)">\s*(.*?)</source>', re.S)
_ABSTRACT_RE = re.compile(r"<abstract>\s*(.*?)\s*</abstract>", re.S)
_QUESTION_RE = re.compile(r"<question>\s*(.*?)\s*</question>", re.S)
_CANDIDATES_RE = re.compile(r"<candidates>\s*(.*?)\s*</candidates>", re.S)
_PAPERS_RE = re.compile(r"<papers>\s*(.*?)\s*</papers>", re.S)


def _first_sentence(text: str) -> str:
    body = "\n".join(line for line in text.splitlines() if not re.match(r"^(Title|Date):", line)).strip()
    match = re.match(r"(.+?[.!?])(\s|$)", body, re.S)
    return (match.group(1) if match else body[:200]).replace("\n", " ").strip()


def message_text(body: dict[str, Any]) -> str:
    """All message contents of a chat request, joined: what the model was shown."""
    parts = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        parts.append(str(content or ""))
    return "\n".join(parts)


def default_reply(body: dict[str, Any]) -> Reply:
    text = message_text(body)
    sources = _SOURCE_RE.findall(text)
    if sources:
        sentences = [f"{_first_sentence(abstract)} [{n}]" for n, abstract in sources[:2]]
        return Reply(" ".join(sentences))
    candidates = _CANDIDATES_RE.search(text)
    if candidates:  # a rerank request: the candidates in the order given
        count = len(re.findall(r"^\[\d+\]", candidates.group(1), re.M))
        return Reply(" > ".join(str(n) for n in range(1, count + 1)))
    abstract = _ABSTRACT_RE.search(text)
    if abstract:
        return Reply(_first_sentence(abstract.group(1)))
    question = _QUESTION_RE.search(text)
    if question:
        # A follow-up rewrite: the question made standalone with the first paper discussed.
        papers = _PAPERS_RE.search(text)
        first = re.sub(r"^\[\d+\]\s*", "", papers.group(1).splitlines()[0]) if papers else ""
        return Reply(f"{question.group(1).splitlines()[0]} {first}".strip())
    return Reply("OK.")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: FakeOpenAI


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send_json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
        else:
            self._send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {"_unparsed": raw.decode("utf-8", "replace")}
        owner._enter(body, self.path)
        try:
            if self.path.rstrip("/").endswith("/chat/completions"):
                self._chat(owner, body)
            elif self.path.rstrip("/").endswith("/embeddings"):
                self._embeddings(body)
            else:
                self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout); nothing to answer
        finally:
            owner._leave()

    def _chat(self, owner: FakeOpenAI, body: dict[str, Any]) -> None:
        reply = owner._next_reply(body)
        if reply.delay and owner._stop.wait(reply.delay):
            self.close_connection = True
            return
        if reply.close_connection:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if reply.raw_body is not None:
            data = reply.raw_body.encode() if isinstance(reply.raw_body, str) else reply.raw_body
            self._send(reply.status, data, "application/json", reply.headers)
            return
        if reply.status >= 400:
            error = {"error": {"message": f"scripted HTTP {reply.status}", "type": "server_error",
                               "code": reply.status}}
            self._send_json(reply.status, error, reply.headers)
            return
        content = reply.content if reply.content is not None else ""
        model = str(body.get("model", "fake-model"))
        if body.get("stream"):
            self._stream(owner, reply, content, model, body)
            return
        payload: dict[str, Any] = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": reply.finish_reason}],
        }
        if reply.usage is not None:
            payload["usage"] = _usage(reply.usage)
        self._send_json(200, payload, reply.headers)

    def _stream(self, owner: FakeOpenAI, reply: Reply, content: str, model: str, body: dict[str, Any]) -> None:
        chunks = reply.chunks if reply.chunks is not None else re.findall(r"\S+\s*|\s+", content)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.close_connection = True
        cid = f"chatcmpl-{uuid.uuid4().hex[:12]}"

        def event(delta: dict[str, Any], finish: str | None = None, usage: dict[str, int] | None = None,
                  choices: bool = True) -> None:
            chunk: dict[str, Any] = {"id": cid, "object": "chat.completion.chunk", "created": int(time.time()),
                                     "model": model, "choices": []}
            if choices:
                chunk["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish}]
            if usage is not None:
                chunk["usage"] = _usage(usage)
            self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            self.wfile.flush()

        event({"role": "assistant", "content": ""})
        for piece in chunks:
            if reply.chunk_delay and owner._stop.wait(reply.chunk_delay):
                return
            event({"content": piece})
        if reply.finish_reason is not None:
            event({}, finish=reply.finish_reason)
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if include_usage and reply.usage is not None:
            event({}, usage=reply.usage, choices=False)
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _embeddings(self, body: dict[str, Any]) -> None:
        inputs = body.get("input", [])
        if isinstance(inputs, str):
            inputs = [inputs]
        data = []
        for i, text in enumerate(inputs):
            # A deterministic pseudo-embedding: enough to exercise the wire format, not semantics.
            seed = sum(ord(c) for c in str(text)) or 1
            data.append({"object": "embedding", "index": i,
                         "embedding": [((seed * (j + 1)) % 97) / 97.0 for j in range(8)]})
        self._send_json(200, {"object": "list", "data": data, "model": body.get("model", "fake-embed"),
                              "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)}})

    def _send_json(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers or {})

    def _send(self, status: int, data: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


def _usage(usage: dict[str, int]) -> dict[str, int]:
    prompt = int(usage.get("prompt_tokens", 0))
    completion = int(usage.get("completion_tokens", 0))
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": int(usage.get("total_tokens", prompt + completion))}


class FakeOpenAI:
    """The server; start() binds a free port on 127.0.0.1 and serves from a background thread."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.default_reply: Callable[[dict[str, Any]], Reply] = default_reply
        self.in_flight = 0
        self.max_concurrent = 0
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [body for body, path in zip(self.requests, self.paths, strict=True)
                if path.rstrip("/").endswith("/chat/completions")]

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        """Scripted replies not yet consumed."""
        with self._lock:
            return len(self._queue)

    def start(self) -> FakeOpenAI:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _enter(self, body: dict[str, Any], path: str) -> None:
        with self._lock:
            self.requests.append(body)
            self.paths.append(path)
            self.in_flight += 1
            self.max_concurrent = max(self.max_concurrent, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        return self.default_reply(body)


def refused_base_url() -> str:
    """A loopback URL on which nothing listens: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()
