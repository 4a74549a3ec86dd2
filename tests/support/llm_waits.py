"""Declaring the bot's waits on the LLM to simcord, for tests and the Discord benchmark."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import simcord


def outside_waits(env: simcord.Env) -> None:
    """Tell simcord that the bot's waits on the LLM are intentional, so actions return once the bot is
    waiting on it (the acknowledgement is already visible) instead of settling only after the answer.

    The engine's own answer and stream are wrapped, unchanged, in simcord's `external_wait`.
    """
    engine = env.bot.app.engine
    answer, stream = engine.answer, engine.stream

    async def waited_answer(*args: Any, **kwargs: Any) -> Any:
        return await env.external_wait(answer(*args, **kwargs), reason="answer engine")

    async def waited_stream(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        inner = stream(*args, **kwargs)
        try:
            while True:
                try:
                    item = await env.external_wait(anext(inner), reason="answer engine stream")
                except StopAsyncIteration:
                    return
                yield item
        finally:
            await inner.aclose()

    engine.answer = waited_answer  # type: ignore[method-assign]
    engine.stream = waited_stream  # type: ignore[method-assign]


__all__ = ["outside_waits"]
