"""The daily digest on Discord: `/digest` commands, the scheduler, and the components under a digest.

What goes in a digest and when one is owed is decided in `digest/` (pure, clock-injected) and subscriptions
change through `app.subscriptions`; this package resolves channels, checks permissions, renders and posts.
`_cog` holds the commands and the scheduler, `_poster` the exactly-once posting, `_components` the persistent
buttons and menus, `_render` the embeds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.digest._cog import DigestCog

if TYPE_CHECKING:
    from bot.client import PaperBotCore


async def setup(bot: PaperBotCore) -> None:
    await bot.add_cog(DigestCog(bot))
