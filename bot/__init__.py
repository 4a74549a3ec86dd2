"""PaperBot's Discord adapter: commands, DMs, mentions and threads, views, formatting to Discord's limits.

No retrieval or LLM logic lives here: commands call the use cases of `app` (the same ones the console and the
CLI call) on `app.wiring.App`, and keep only Discord-side state (answers under buttons, conversations, searches)
in `storage`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.wiring import App
    from bot.client import PaperBotCore
    from core.settings import Settings


def create_bot(settings: Settings, app: App | None = None) -> PaperBotCore:
    """A configured bot (AutoShardedBot when DISCORD_SHARDED is set); extensions load on login."""
    from app.wiring import App
    from bot.client import PaperBot, ShardedPaperBot

    cls = ShardedPaperBot if settings.discord_sharded else PaperBot
    return cls(settings, app or App(settings))


__all__ = ["create_bot"]
