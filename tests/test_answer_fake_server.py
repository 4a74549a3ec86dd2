"""The loopback OpenAI-compatible server itself, through the real openai client (other suites rely on it)."""

from __future__ import annotations

import contextlib
import threading
import time
import urllib.request

import openai
import pytest
from support.openai_server import FakeOpenAI, Reply


@pytest.fixture
async def client(openai_server: FakeOpenAI):
    async with openai.AsyncOpenAI(base_url=openai_server.base_url, api_key="test", max_retries=0) as c:
        yield c


async def test_scripted_then_default_replies(openai_server: FakeOpenAI, client: openai.AsyncOpenAI) -> None:
    openai_server.script(Reply("first", usage={"prompt_tokens": 3, "completion_tokens": 1}))
    first = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert first.choices[0].message.content == "first" and first.usage and first.usage.prompt_tokens == 3
    source = '<source n="1">\nTitle: T\nDate: 2024-01-01\nWe do X. Then Y.\n</source>'
    second = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": source}])
    assert second.choices[0].message.content == "We do X. [1]" and second.usage is None
    assert [b["messages"][0]["content"] for b in openai_server.requests] == ["hi", source]


async def test_streaming_chunks_and_usage(openai_server: FakeOpenAI, client: openai.AsyncOpenAI) -> None:
    openai_server.script(Reply(chunks=["a", "b", "c"], usage={"prompt_tokens": 5, "completion_tokens": 3}))
    stream = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}],
                                                  stream=True, stream_options={"include_usage": True})
    parts, usage = [], None
    async for chunk in stream:
        parts += [c.delta.content for c in chunk.choices if c.delta and c.delta.content]
        usage = chunk.usage or usage
    assert parts == ["a", "b", "c"] and usage is not None and usage.completion_tokens == 3


async def test_errors_and_embeddings(openai_server: FakeOpenAI, client: openai.AsyncOpenAI) -> None:
    openai_server.script(Reply(status=429, headers={"Retry-After": "7"}))
    with pytest.raises(openai.RateLimitError) as info:
        await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert info.value.response.headers["retry-after"] == "7"
    embedded = await client.embeddings.create(model="e", input=["one", "two"])
    assert len(embedded.data) == 2 and len(embedded.data[0].embedding) == 8


def test_stop_interrupts_a_long_delay() -> None:
    server = FakeOpenAI().start()
    server.script(Reply("late", delay=30))

    def call() -> None:
        request = urllib.request.Request(f"{server.base_url}/chat/completions", data=b'{"messages": []}',
                                         headers={"Content-Type": "application/json"})
        with contextlib.suppress(OSError):  # the server hangs up: that is the point
            urllib.request.urlopen(request, timeout=10).read()

    caller = threading.Thread(target=call)
    caller.start()
    while not server.requests:
        time.sleep(0.01)
    started = time.perf_counter()
    server.stop()
    caller.join(timeout=5)
    assert time.perf_counter() - started < 2 and not caller.is_alive()
