"""The LLM client: any OpenAI-compatible chat-completions endpoint through `openai.AsyncOpenAI`.

Retries are the openai client's own (`max_retries = LLM_RETRIES`): 408/409/429/5xx and failed connections,
with exponential backoff and jitter, honouring Retry-After / Retry-After-Ms. What this adds is what the client
lacks:
- one overall deadline per call (`llm_timeout_seconds`), covering every attempt, the waits between them and
  the whole response, streams included (httpx's timeout is per read, so a server trickling bytes could
  otherwise hold a call forever). A request that hangs therefore uses up the deadline and is not retried: it
  has already cost the user the whole wait;
- a cap on concurrent calls (a semaphore held for the whole call, retries included), with counters of the
  calls in flight and the most ever in flight, so the bot can say "busy, retry" and a benchmark can prove
  the cap held;
- every failure becomes `LLMError` with a short reason written for the user ("the LLM did not answer within
  60 s"), which the engine shows when it falls back to an extractive answer.

The AsyncOpenAI client and the semaphore belong to one event loop; they are rebuilt if the engine is used
from another loop (the CLI and tests run several `asyncio.run`s in one process). `openai` is imported when the
first client is built, not with this module: a CLI answering without an LLM never pays for it, and the bot
builds its client in `warm_up`, in a worker thread, with everything its first request would import lazily.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from core.models import Usage
from core.settings import Settings

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Servers that need no key (Ollama, vLLM, llama.cpp) still get one: the openai client insists on a value.
PLACEHOLDER_KEY = "not-needed"


class LLMError(Exception):
    """The endpoint gave no usable answer; `reason` says why in words for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Completion:
    text: str
    usage: Usage | None  # None when the endpoint did not report it
    finish_reason: str | None = None


@dataclass
class StreamResult:
    """Filled in by `LLMClient.stream` once the stream ends."""

    text: str = ""
    usage: Usage | None = None
    finish_reason: str | None = None


class LLMClient:
    def __init__(self, settings: Settings) -> None:
        self.model = settings.llm_model
        self.temperature = settings.llm_temperature
        self.timeout = settings.llm_timeout_seconds
        self.retries = settings.llm_retries
        self.max_concurrency = settings.llm_max_concurrency
        self.base_url = settings.openai_base_url or DEFAULT_BASE_URL
        self._api_key = (settings.openai_api_key.get_secret_value() if settings.openai_api_key
                         else PLACEHOLDER_KEY)
        self.in_flight = 0
        self.max_in_flight = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: openai.AsyncOpenAI | None = None
        self._semaphore: asyncio.Semaphore | None = None

    @property
    def endpoint(self) -> str:
        """Where calls go, for messages and logs (scheme and host only: a URL may carry credentials)."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"

    @property
    def busy(self) -> bool:
        return self.in_flight >= self.max_concurrency

    def _bind(self, client: openai.AsyncOpenAI | None = None) -> tuple[openai.AsyncOpenAI, asyncio.Semaphore]:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._client is None or self._semaphore is None:
            self._loop = loop
            self._client = client or self._new_client()
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
        return self._client, self._semaphore

    def _new_client(self) -> openai.AsyncOpenAI:
        import openai

        return openai.AsyncOpenAI(api_key=self._api_key, base_url=self.base_url, timeout=self.timeout,
                                  max_retries=self.retries)

    async def warm_up(self) -> None:
        """Build the HTTP client now, in a worker thread, rather than on the first question.

        Building it costs a few hundred ms (imports, the TLS context), and the first request would import
        more (the chat resource, the async socket layer). On the event loop that would stall every other
        user's interaction behind the first question, so all of it happens here, off the loop.
        """
        self._bind(await asyncio.to_thread(_prepared_client, self._new_client))

    async def ready(self) -> None:
        """`warm_up` unless this event loop already has a client: a short deadline (the rerank's) must time the
        endpoint, not the imports of a first call."""
        if self._client is None or self._loop is not asyncio.get_running_loop():
            await self.warm_up()

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._loop is asyncio.get_running_loop():
            await client.close()

    def _params(self, messages: list[dict[str, str]], max_tokens: int) -> dict[str, Any]:
        return {"model": self.model, "messages": messages, "temperature": self.temperature,
                "max_tokens": max_tokens}

    async def complete(self, messages: list[dict[str, str]], max_tokens: int, *, timeout: float | None = None,
                       retries: int | None = None) -> Completion:
        """One chat completion; `timeout` (the overall deadline) and `retries` override the settings."""
        timeout = self.timeout if timeout is None else timeout
        client, semaphore = self._bind()
        if retries is not None and retries != self.retries:
            client = client.with_options(max_retries=retries)
        async with semaphore:
            self._enter()
            try:
                async with asyncio.timeout(timeout):
                    response = await client.chat.completions.create(**self._params(messages, max_tokens),
                                                                    timeout=timeout)
                return _completion(response)
            except Exception as exc:
                raise self._classify(exc, timeout) from exc
            finally:
                self._leave()

    async def stream(self, messages: list[dict[str, str]], max_tokens: int,
                     result: StreamResult) -> AsyncGenerator[str, None]:
        """Text deltas as they arrive; `result` holds the whole text and usage at the end.

        The request that opens the stream is retried by the client like `complete`; once the stream is open,
        a failure cannot take back the partial answer, so it is raised to the caller. The deadline counts
        only time spent waiting for the endpoint, not time the consumer spends between deltas (editing a
        Discord message, say), and it is never active across a `yield`, where it would cancel the consumer.
        """
        client, semaphore = self._bind()
        async with semaphore:
            self._enter()
            try:
                async for delta in self._deltas(client, messages, max_tokens, result):
                    yield delta
                if not result.text.strip():
                    raise LLMError("the LLM returned an empty answer")
            except Exception as exc:
                raise self._classify(exc, self.timeout) from exc
            finally:
                self._leave()

    async def _deltas(self, client: openai.AsyncOpenAI, messages: list[dict[str, str]], max_tokens: int,
                      result: StreamResult) -> AsyncGenerator[str, None]:
        loop = asyncio.get_running_loop()
        remaining = self.timeout
        started = loop.time()
        async with asyncio.timeout(remaining):
            response = await client.chat.completions.create(
                **self._params(messages, max_tokens), stream=True, stream_options={"include_usage": True})
        remaining -= loop.time() - started
        chunks = response.__aiter__()
        try:
            while True:
                started = loop.time()
                try:
                    async with asyncio.timeout(max(remaining, 0.001)):
                        chunk = await chunks.__anext__()
                except StopAsyncIteration:
                    return
                remaining -= loop.time() - started
                # A fast endpoint's whole answer arrives in one read, and each chunk costs a parse: without
                # a pause here one answer would hold the event loop for all of them, and others' acks wait.
                await asyncio.sleep(0)
                if chunk.usage is not None:
                    result.usage = Usage(prompt_tokens=chunk.usage.prompt_tokens or 0,
                                         completion_tokens=chunk.usage.completion_tokens or 0)
                for choice in chunk.choices or []:
                    if choice.finish_reason:
                        result.finish_reason = choice.finish_reason
                    delta = choice.delta.content if choice.delta else None
                    if delta:
                        result.text += delta
                        yield delta
        finally:
            await response.close()

    def _enter(self) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        self.in_flight -= 1

    def _classify(self, exc: Exception, timeout: float) -> LLMError:
        """Cancellation is not an Exception and never reaches here: it propagates to the caller."""
        import openai  # imported already: a call needed a client

        if isinstance(exc, LLMError):
            return exc
        if isinstance(exc, TimeoutError | openai.APITimeoutError):
            return LLMError(f"the LLM did not answer within {timeout:g} s")
        if isinstance(exc, openai.APIConnectionError):
            return LLMError(f"could not reach the LLM endpoint at {self.endpoint}")
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            if status == 429:
                return LLMError("the LLM endpoint is rate-limiting requests (HTTP 429)")
            if status >= 500:
                return LLMError(f"the LLM endpoint failed (HTTP {status})")
            if status in (401, 403):
                return LLMError(f"the LLM endpoint refused the API key (HTTP {status})")
            if status == 404:
                return LLMError(f"the LLM endpoint has no model {self.model!r} or no chat API (HTTP 404)")
            return LLMError(f"the LLM endpoint rejected the request (HTTP {status})")
        if isinstance(exc, openai.APIResponseValidationError | ValueError | TypeError | KeyError | AttributeError):
            return LLMError("the LLM returned a malformed reply")
        if isinstance(exc, openai.OpenAIError):
            return LLMError(f"the LLM call failed ({type(exc).__name__})")
        log.warning("unexpected LLM client error", exc_info=exc)
        return LLMError(f"the LLM call failed ({type(exc).__name__})")


def _prepared_client(build: Callable[[], openai.AsyncOpenAI]) -> openai.AsyncOpenAI:
    """A new client with what its first streamed request imports lazily already imported."""
    client = build()
    client.chat.completions  # noqa: B018  (the openai client imports its resources on first access)
    try:
        # The HTTP stack's async layer imports its parts (and its asyncio backend) on first use.
        anyio = importlib.import_module("anyio")
        importlib.import_module("anyio._backends._asyncio")
    except ImportError:  # another HTTP stack: nothing known to preload
        return client
    for name in dir(anyio):
        getattr(anyio, name)
    return client


def _completion(response: Any) -> Completion:
    import openai

    if not isinstance(response, openai.types.chat.ChatCompletion):
        # The client returns the raw body when it is not an object (a JSON string, a list).
        raise LLMError("the LLM returned a malformed reply")
    if not response.choices:
        raise LLMError("the LLM returned no answer (empty choices)")
    choice = response.choices[0]
    text = (choice.message.content if choice.message else None) or ""
    if not text.strip():
        raise LLMError("the LLM returned an empty answer")
    usage = None
    if response.usage is not None:
        usage = Usage(prompt_tokens=response.usage.prompt_tokens or 0,
                      completion_tokens=response.usage.completion_tokens or 0)
    return Completion(text=text, usage=usage, finish_reason=choice.finish_reason)
