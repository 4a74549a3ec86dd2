"""Answering an interaction or a channel correctly whatever state it is in.

An interaction must be acknowledged within 3 seconds, its token lasts 15 minutes, a deferred reply shows a
"thinking…" placeholder until the original response is edited, and followups after that are new messages.
These helpers hide that state machine from the commands.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import discord

from bot.formatting import NO_MENTIONS, Outgoing, clip, within_limits

log = logging.getLogger(__name__)

_RECEIVED = "paperbot_received_at"
_PRIVATE = "paperbot_private"
_ANSWERED = "paperbot_answered"


def mark_received(interaction: discord.Interaction[Any]) -> None:
    interaction.extras[_RECEIVED] = time.perf_counter()


def _record_ack(interaction: discord.Interaction[Any]) -> None:
    received = interaction.extras.get(_RECEIVED)
    if received is None:
        return
    elapsed = time.perf_counter() - received
    client: Any = interaction.client
    latencies = getattr(client, "ack_latencies", None)
    if latencies is not None:
        latencies.append(elapsed)
    log.debug("interaction acknowledged", extra={"ack_ms": round(elapsed * 1000, 2), "interaction_id": interaction.id})


async def acknowledge(interaction: discord.Interaction[Any], *, ephemeral: bool = False) -> None:
    """Defer with a "thinking…" placeholder: the 3-second clock stops, the answer can take its time."""
    if interaction.response.is_done():
        return
    interaction.extras[_PRIVATE] = ephemeral
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    _record_ack(interaction)


def placeholder_pending(interaction: discord.Interaction[Any]) -> bool:
    """Deferred with "thinking…" and the original response not written yet."""
    return (interaction.response.type == discord.InteractionResponseType.deferred_channel_message
            and not interaction.extras.get(_ANSWERED))


def is_private(interaction: discord.Interaction[Any]) -> bool:
    return bool(interaction.extras.get(_PRIVATE))


def embeds_allowed(interaction: discord.Interaction[Any]) -> bool:
    # Outside servers (DMs) the app permissions are not meaningful and embeds always work.
    return interaction.guild_id is None or interaction.app_permissions.embed_links


class OverLimitError(ValueError):
    """A message over Discord's limits reached the send path: a rendering bug, stopped before Discord's 400."""


def message_kwargs(message: Outgoing, view: discord.ui.View | None = None, *, edit: bool = False) -> dict[str, Any]:
    """What every send or edit of ours passes to discord.py: checked against the limits, never pinging.

    An edit always sets the content, so an embed-only message replaces the text it overwrites.
    """
    if not within_limits(message):
        raise OverLimitError(f"message over Discord's limits: {len(message.content or '')} characters, "
                             f"{len(message.embeds)} embeds")
    content = message.content or "" if edit else message.content
    kwargs: dict[str, Any] = {"content": content, "embeds": message.embeds, "allowed_mentions": NO_MENTIONS}
    if view is not None:
        kwargs["view"] = view
    if message.attachment is not None:
        name, text = message.attachment
        attached = discord.File(io.BytesIO(text.encode()), filename=name)
        kwargs["attachments" if edit else "file"] = [attached] if edit else attached
    return kwargs


async def deliver(interaction: discord.Interaction[Any], messages: Sequence[Outgoing], *,
                  view: discord.ui.View | None = None, ephemeral: bool | None = None) -> None:
    """Send a reply of one or more messages; the view goes on the last one.

    The first message becomes the original response (sent, or written over the "thinking…" placeholder);
    the rest are followups.
    """
    private = is_private(interaction) if ephemeral is None else ephemeral
    for index, message in enumerate(messages):
        last_view = view if index == len(messages) - 1 else None
        if not interaction.response.is_done():
            interaction.extras[_PRIVATE] = private
            await interaction.response.send_message(**message_kwargs(message, last_view), ephemeral=private)
            _record_ack(interaction)
        elif placeholder_pending(interaction):
            await interaction.edit_original_response(**message_kwargs(message, last_view, edit=True))
            interaction.extras[_ANSWERED] = True
        else:
            await interaction.followup.send(**message_kwargs(message, last_view), ephemeral=private)


async def show_partial(interaction: discord.Interaction[Any], message: Outgoing) -> None:
    """Overwrite the placeholder with work in progress (it stays a placeholder for `deliver`)."""
    await interaction.edit_original_response(**message_kwargs(message, edit=True))


async def send_ephemeral(interaction: discord.Interaction[Any], text: str) -> bool:
    """A private note to the user, whatever the interaction's state; falls back to the channel.

    Returns False when nothing could be delivered (the caller logs it).
    """
    content = clip(text, 2000)
    if interaction.type is discord.InteractionType.autocomplete:
        return False
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(content, ephemeral=True, allowed_mentions=NO_MENTIONS)
            _record_ack(interaction)
            return True
        if not interaction.is_expired():
            if placeholder_pending(interaction):
                if is_private(interaction):
                    await interaction.edit_original_response(content=content, embeds=[], view=None,
                                                             allowed_mentions=NO_MENTIONS)
                    interaction.extras[_ANSWERED] = True
                    return True
                # A public placeholder would otherwise spin forever; the details go privately below.
                await interaction.edit_original_response(
                    content="⚠️ No answer this time; the reason was sent to the asker.", embeds=[], view=None,
                    allowed_mentions=NO_MENTIONS)
                interaction.extras[_ANSWERED] = True
            await interaction.followup.send(content, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return True
    except discord.HTTPException as exc:
        log.info("interaction reply failed; trying the channel",
                 extra={"interaction_id": interaction.id, "status": exc.status, "code": exc.code})
    return await _send_to_channel(interaction, content)


async def _send_to_channel(interaction: discord.Interaction[Any], content: str) -> bool:
    """Past the 15-minute token the only way left to tell the user is a (non-pinging) channel message."""
    channel = interaction.channel
    if channel is None or not isinstance(channel, discord.abc.Messageable):
        return False
    try:
        await channel.send(f"{interaction.user.mention} {content}"[:2000], allowed_mentions=NO_MENTIONS)
        return True
    except discord.HTTPException as exc:
        log.warning("could not deliver a message to the user", extra={
            "interaction_id": interaction.id, "channel_id": interaction.channel_id, "status": exc.status,
            "code": exc.code})
        return False


async def send_each(channel: discord.abc.Messageable, messages: Sequence[Outgoing], *,
                    view: discord.ui.View | None = None,
                    reference: discord.Message | None = None) -> AsyncIterator[discord.Message]:
    """Send several messages to a channel, yielding each once sent (a caller can tell how far a failure got).

    The first replies to `reference`, the view goes on the last.
    """
    for index, message in enumerate(messages):
        kwargs = message_kwargs(message, view if index == len(messages) - 1 else None)
        if index == 0 and reference is not None:
            # The question may be deleted meanwhile: then send without the reply link rather than fail.
            kwargs["reference"] = reference.to_reference(fail_if_not_exists=False)
            kwargs["mention_author"] = False
        yield await channel.send(**kwargs)


async def send_messages(channel: discord.abc.Messageable, messages: Sequence[Outgoing], *,
                        view: discord.ui.View | None = None,
                        reference: discord.Message | None = None) -> list[discord.Message]:
    """Send several messages to a channel; the first replies to `reference`, the view goes on the last."""
    return [sent async for sent in send_each(channel, messages, view=view, reference=reference)]
