"""The daily digest on Discord: `/digest` commands, the scheduler, and the buttons under a digest.

What goes in a digest and when one is owed is decided in `digest/` (pure, clock-injected); this module
resolves channels, checks permissions, posts, and records each run *pending* before posting and *done*
after. After a crash between the two, the channel's recent bot messages are searched for the run's marker
(every digest message carries it in its footer) before anything is posted again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlparse

import discord
from discord import app_commands
from discord.ext import commands, tasks

from app.commands import SIMILAR_RESULTS, similar
from app.digests import pick_for
from bot.formatting import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_TITLE_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    NO_MENTIONS,
    Outgoing,
    add_fields,
    clip,
    embed_messages,
    escape,
    link,
    split_text,
    thread_name,
)
from bot.render import COLOURS, similar_message
from bot.replies import acknowledge, bot_of, deliver
from bot.views import PersistentItem
from core.errors import InputError, PaperBotError
from core.models import Paper, Turn
from digest.compose import compose
from digest.models import (
    DEFAULT_SIZE,
    DEFAULT_TIME,
    MAX_SIZE,
    MAX_TOPICS_CHARS,
    Digest,
    DigestRun,
    DigestTarget,
    RunState,
    RunTrigger,
    channel_key,
    dm_key,
)
from digest.render import overview_note, short_date, title
from digest.schedule import Action, due_day, next_slot, parse_time, plan
from digest.selection import split_topics, topic_relevance
from storage.conversations import dm_key as conversation_dm_key
from storage.conversations import thread_key
from storage.digests import DigestStore

if TYPE_CHECKING:
    from bot.client import PaperBotCore

log = logging.getLogger(__name__)

# Discord permissions a digest channel needs, with the names the Discord client shows.
REQUIRED_PERMISSIONS = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
    # Read back after a restart to check whether an interrupted digest was already posted.
    ("read_message_history", "Read Message History"),
)
MARKER_SEARCH_DEPTH = 50
CONCURRENT_POSTS = 4
THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440
CLEAR_TOPICS = {"none", "off", "-", "clear"}
_MARKER_IN_FOOTER = re.compile(r"digest \d{4}-\d{2}-\d{2} #\d+")


# -- rendering --------------------------------------------------------------------------------------------


def _link_label(url: str) -> str:
    host = urlparse(url).netloc.lower().removeprefix("www.")
    if host == "arxiv.org" and "/search" in url:
        return "find on arXiv"
    if host in ("github.com", "gitlab.com", "huggingface.co"):
        return {"github.com": "code", "gitlab.com": "code", "huggingface.co": "Hugging Face"}[host]
    return host or "link"


def digest_messages(digest: Digest) -> list[Outgoing]:
    """The digest as embeds: the header and overview, then one field per paper; split to fit Discord."""
    footer = digest.marker or "preview"
    note = overview_note(digest)
    if note:
        footer = f"{footer} · {note}"
    footer = clip(footer, FOOTER_LIMIT)
    parts = []
    if digest.topics:
        parts.append(f"**Topics:** {escape(digest.topics)}")
    if digest.notice:
        parts.append(f"*{escape(digest.notice)}*")
    if digest.overview:
        parts.append(digest.overview)
    embeds = []
    for index, chunk in enumerate(split_text("\n\n".join(parts), EMBED_DESCRIPTION_LIMIT) or [""]):
        embed = discord.Embed(description=chunk or None, colour=COLOURS["info"])
        if index == 0:
            embed.title = clip(f"📰 {title(digest)}", EMBED_TITLE_LIMIT)
        embeds.append(embed)
    for item in digest.items:
        links = " · ".join(link(_link_label(u), u) for u in item.urls)
        meta = f"*Listed {short_date(item.date)}*" + (f" · {links}" if links else "")
        value = f"{escape(item.tldr)}\n{meta}"
        if len(value) > FIELD_VALUE_LIMIT:
            value = f"{clip(escape(item.tldr), FIELD_VALUE_LIMIT - len(meta) - 1)}\n{meta}"
        add_fields(
            embeds,
            clip(f"{item.n}. {escape(item.title)}", FIELD_NAME_LIMIT),
            [value],
            footer_room=len(footer),
        )
    for embed in embeds:
        embed.set_footer(text=footer)
    return embed_messages(embeds)


def find_marker(messages: Sequence[discord.Message], marker: str, bot_id: int) -> list[int]:
    """Ids of the bot's messages that belong to the digest run with this marker (oldest first)."""
    found = []
    for message in messages:
        if message.author.id != bot_id:
            continue
        footers = [e.footer.text or "" for e in message.embeds]
        if any(m.group(0) == marker for text in footers for m in _MARKER_IN_FOOTER.finditer(text)):
            found.append(message.id)
    return sorted(found)


# -- buttons under a digest ---------------------------------------------------------------------------------

RUN_GONE = "That digest is no longer on record."


class _DigestItem(PersistentItem, template=r"pbd:(?!x)x"):
    """Base of the digest's components: the run id is in the custom id, so they work after a restart."""

    where = "digest button"

    def __init__(self, run_id: int, options: Sequence[discord.SelectOption] = ()) -> None:
        super().__init__(self.component(run_id, list(options)))
        self.run_id = run_id

    @staticmethod
    def component(run_id: int, options: list[discord.SelectOption]) -> Any:
        raise NotImplementedError

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> _DigestItem:
        options = item.options if isinstance(item, discord.ui.Select) else []
        return cls(int(match["run"]), options)

    async def run_and_papers(self, interaction: discord.Interaction[Any]) -> tuple[DigestRun | None, list[Paper]]:
        bot = bot_of(interaction)
        run = await asyncio.to_thread(DigestStore(bot.app.db).get_run, self.run_id)
        if run is None:
            return None, []
        papers = await asyncio.to_thread(bot.app.retriever.get_many, run.paper_ids)
        return run, papers

    def chosen(self, interaction: discord.Interaction[Any]) -> str:
        data: dict[str, Any] = dict(interaction.data or {})
        values = data.get("values") or []
        return str(values[0]) if values else ""


def _select(custom_id: str, placeholder: str, options: list[discord.SelectOption]) -> discord.ui.Select[Any]:
    # Discord requires at least one option; a rebuilt item only needs its custom id.
    return discord.ui.Select(
        custom_id=custom_id, placeholder=placeholder, options=options or [discord.SelectOption(label="-")]
    )


class AskButton(_DigestItem, template=r"pbd:ask:(?P<run>\d+)"):
    @staticmethod
    def component(run_id: int, options: list[discord.SelectOption]) -> Any:
        return discord.ui.Button(
            label="Ask about these",
            emoji="💬",
            style=discord.ButtonStyle.primary,
            custom_id=f"pbd:ask:{run_id}",
        )

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        bot = bot_of(interaction)
        run, papers = await self.run_and_papers(interaction)
        if run is None or not papers:
            await interaction.response.send_message(RUN_GONE, ephemeral=True)
            return
        listing = "\n".join(f"[{i}] {p.title}" for i, p in enumerate(papers, 1))
        turn = Turn(
            question=f"What is in the paper digest of {run.day.isoformat()}?",
            answer=f"The digest lists these papers:\n{listing}",
            cited_ids=[p.id for p in papers],
        )
        message = interaction.message
        if interaction.guild is None or message is None:
            # DMs have no threads: the conversation with the user continues right here.
            await asyncio.to_thread(
                bot.conversations.append,
                conversation_dm_key(interaction.user.id),
                turn,
                "dm",
                interaction.user.id,
            )
            await interaction.response.send_message(
                "Ask me anything about these papers: just write your question here, e.g. “what dataset does "
                "the second one use?”. Type `reset` to start over.",
                allowed_mentions=NO_MENTIONS,
            )
            return
        if message.thread is not None:
            await interaction.response.send_message(
                f"Questions about this digest go in {message.thread.mention}.",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        channel = interaction.channel
        me = interaction.guild.me
        if isinstance(channel, discord.TextChannel) and me is not None:
            perms = channel.permissions_for(me)
            missing = [
                n
                for attr, n in (
                    ("create_public_threads", "Create Public Threads"),
                    ("send_messages_in_threads", "Send Messages in Threads"),
                )
                if not getattr(perms, attr)
            ]
            if missing:
                await interaction.response.send_message(
                    f"I can't open a thread here: I need the {' and '.join(missing)} permission.",
                    ephemeral=True,
                )
                return
        thread = await message.create_thread(
            name=thread_name(f"Digest {short_date(run.day)}: questions"),
            auto_archive_duration=THREAD_ARCHIVE_MINUTES,
        )
        await asyncio.to_thread(bot.conversations.append, thread_key(thread.id), turn, "thread", interaction.user.id)
        await thread.send(
            "Ask me about the papers of this digest here: **mention me** with your question, e.g. "
            f"“{bot.user.mention if bot.user else '@PaperBot'} how does the first one extend the context?”. "
            "I know which papers [1]–["
            f"{len(papers)}] are.",
            allowed_mentions=NO_MENTIONS,
        )
        await interaction.response.send_message(
            f"Opened {thread.mention} for questions about this digest.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )


class MoreSelect(_DigestItem, template=r"pbd:more:(?P<run>\d+)"):
    @staticmethod
    def component(run_id: int, options: list[discord.SelectOption]) -> Any:
        return _select(f"pbd:more:{run_id}", "🔎 More like #n…", options)

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        await acknowledge(interaction, ephemeral=True)
        bot = bot_of(interaction)
        run, papers = await self.run_and_papers(interaction)
        n = int(self.chosen(interaction) or 0)
        if run is None or not 1 <= n <= len(papers):
            await deliver(interaction, [Outgoing(content=RUN_GONE)])
            return
        paper = papers[n - 1]
        shown = set(run.paper_ids)
        # Papers of the same digest are already in front of the reader: show others.
        result = await asyncio.to_thread(similar, bot.app, paper.id, SIMILAR_RESULTS + len(shown))
        result.items = [item for item in result.items if item.hit.id not in shown][:SIMILAR_RESULTS]
        await deliver(interaction, [similar_message(result)])


class RateSelect(_DigestItem, template=r"pbd:rate:(?P<run>\d+)"):
    @staticmethod
    def component(run_id: int, options: list[discord.SelectOption]) -> Any:
        return _select(f"pbd:rate:{run_id}", "👍 / 👎 a paper: tunes the next digests", options)

    async def handle(self, interaction: discord.Interaction[Any]) -> None:
        bot = bot_of(interaction)
        run, papers = await self.run_and_papers(interaction)
        vote, _, number = self.chosen(interaction).partition(":")
        n = int(number) if number.isdigit() else 0
        if run is None or vote not in ("up", "down") or not 1 <= n <= len(papers):
            await interaction.response.send_message(RUN_GONE, ephemeral=True)
            return
        paper = papers[n - 1]
        value = 1 if vote == "up" else -1
        await asyncio.to_thread(
            DigestStore(bot.app.db).rate,
            interaction.user.id,
            paper.id,
            value,
            interaction.guild_id,
            run.id,
            discord.utils.utcnow(),
        )
        title = clip(escape(paper.title), 120)
        if value > 0:
            text = f"👍 noted: your DM digest (`/digest me`) will favour papers like “{title}”."
        elif interaction.guild_id is not None:
            text = f"👎 noted: papers like “{title}” will come up less in this server's digests and in your DM digest."
        else:
            text = f"👎 noted: papers like “{title}” will come up less in your digests."
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


DIGEST_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (AskButton, MoreSelect, RateSelect)


def digest_view(run_id: int, digest: Digest) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AskButton(run_id))
    more = [discord.SelectOption(label=clip(f"#{i.n} {i.title}", 100), value=str(i.n)) for i in digest.items]
    view.add_item(MoreSelect(run_id, more))
    rate = [
        discord.SelectOption(label=clip(f"#{i.n} {i.title}", 100), value=f"{vote}:{i.n}", emoji=emoji)
        for i in digest.items
        for vote, emoji in (("up", "👍"), ("down", "👎"))
    ]
    view.add_item(RateSelect(run_id, rate))
    return view


# -- posting -------------------------------------------------------------------------------------------------


class TargetUnavailable(PaperBotError):
    """The channel (or user) a digest goes to cannot be reached; `gone` when it no longer exists."""

    def __init__(self, message: str, gone: bool = False) -> None:
        super().__init__(message)
        self.gone = gone


def missing_permissions(channel: discord.abc.GuildChannel, me: discord.Member) -> list[str]:
    perms = channel.permissions_for(me)
    return [name for attr, name in REQUIRED_PERMISSIONS if not getattr(perms, attr)]


class Poster:
    """Posts digests exactly once per run: pending before posting, done after, recovered after a crash."""

    def __init__(self, bot: PaperBotCore) -> None:
        self.bot = bot
        self.store = DigestStore(bot.app.db)
        self.busy: set[str] = set()
        self._slots = asyncio.Semaphore(CONCURRENT_POSTS)

    @property
    def grace(self) -> float:
        return self.bot.settings.digest_grace_hours

    async def channel_for(self, target: DigestTarget) -> discord.abc.Messageable:
        where = f"<#{target.channel_id}>" if target.kind == "channel" else "your DMs"
        try:
            if target.kind == "dm":
                assert target.user_id is not None
                user = self.bot.get_user(target.user_id) or await self.bot.fetch_user(target.user_id)
                return user.dm_channel or await user.create_dm()
            assert target.channel_id is not None
            channel = self.bot.get_channel(target.channel_id) or await self.bot.fetch_channel(target.channel_id)
        except discord.NotFound:
            raise TargetUnavailable(f"{where} no longer exists", gone=True) from None
        except discord.HTTPException as exc:
            raise TargetUnavailable(f"{where} cannot be reached (HTTP {exc.status})") from None
        if not isinstance(channel, discord.abc.Messageable):
            raise TargetUnavailable(f"{where} is not a channel I can post in", gone=True)
        if isinstance(channel, discord.abc.GuildChannel):
            missing = missing_permissions(channel, channel.guild.me)
            if missing:
                raise TargetUnavailable(f"I'm missing the {', '.join(missing)} permission in {where}")
        return channel

    def _answer_dislikes(self, target: DigestTarget) -> list[str]:
        if target.kind != "channel" or target.guild_id is None:
            return []
        votes = self.bot.feedback.paper_votes(guild_id=target.guild_id)
        return [paper_id for paper_id, net in votes.items() if net < 0]

    async def execute(self, action: Action) -> None:
        key = action.target.key
        if key in self.busy:
            return
        self.busy.add(key)
        try:
            async with self._slots:
                if action.kind == "recover":
                    assert action.run is not None
                    await self._recover(action.target, action.run)
                else:
                    await self.post(action.target, action.day, "schedule", retry=action.run)
        except TargetUnavailable:
            pass  # logged where it was found, with the reason
        except Exception:
            log.exception(
                "digest action failed",
                extra={"target": key, "action": action.kind, "day": action.day.isoformat()},
            )
        finally:
            self.busy.discard(key)

    async def post(
        self, target: DigestTarget, day: dt.date, trigger: RunTrigger, retry: DigestRun | None = None
    ) -> tuple[DigestRun, Digest]:
        """Select, record pending, compose, send, record done. Returns the run and what was posted."""
        now = discord.utils.utcnow()
        retry_id = retry.id if retry else None
        try:
            channel = await self.channel_for(target)
            dislikes = await asyncio.to_thread(self._answer_dislikes, target)
            selection = await pick_for(
                self.bot.app.retriever,
                self.store,
                target,
                day,
                new_days=self.bot.settings.digest_new_days,
                guild_dislikes=dislikes,
            )
        except TargetUnavailable as exc:
            run = self.store.begin_run(target.key, day, trigger, [], target.channel_id, now, run_id=retry_id)
            self.store.end_run(run.id, "failed", now, str(exc))
            if exc.gone:
                self.store.delete_target(target.key)
            log.warning("digest not posted", extra={"target": target.key, "reason": str(exc), "stopped": exc.gone})
            raise
        except Exception as exc:
            # The index or the database failed: nothing was posted, so a later tick may try again.
            run = self.store.begin_run(target.key, day, trigger, [], target.channel_id, now, run_id=retry_id)
            self.store.end_run(run.id, "retry", now, f"{type(exc).__name__}: {exc}"[:300])
            raise
        channel_id = getattr(channel, "id", target.channel_id)
        run = self.store.begin_run(
            target.key, day, trigger, [p.id for p in selection.papers], channel_id, now, run_id=retry_id
        )
        digest = await compose(self.bot.app.engine, selection, day=day, topics=target.topics, marker=run.marker)
        messages = digest_messages(digest)
        view = digest_view(run.id, digest) if digest.items else None
        sent: list[discord.Message] = []
        try:
            for index, message in enumerate(messages):
                kwargs: dict[str, Any] = {
                    "content": message.content,
                    "embeds": message.embeds,
                    "allowed_mentions": NO_MENTIONS,
                }
                if view is not None and index == len(messages) - 1:
                    kwargs["view"] = view
                sent.append(await channel.send(**kwargs))
        except discord.HTTPException as exc:
            finished = discord.utils.utcnow()
            if sent:
                # Part of it is out: count it as posted rather than ever posting those papers again.
                self.store.finish_run(run.id, [m.id for m in sent], finished)
            else:
                state: RunState = "failed" if isinstance(exc, discord.Forbidden | discord.NotFound) else "retry"
                self.store.end_run(run.id, state, finished, f"HTTP {exc.status}: {exc.text}"[:300])
            raise
        self.store.finish_run(run.id, [m.id for m in sent], discord.utils.utcnow())
        log.info(
            "digest posted",
            extra={
                "target": target.key,
                "run": run.id,
                "day": day.isoformat(),
                "papers": len(digest.items),
                "messages": len(sent),
                "trigger": trigger,
                "overview": digest.overview_mode,
            },
        )
        done = self.store.get_run(run.id)
        assert done is not None
        return done, digest

    async def _recover(self, target: DigestTarget, run: DigestRun) -> None:
        """A run left pending by an earlier process: posted or not? The channel says."""
        now = discord.utils.utcnow()
        try:
            channel = await self.channel_for(target)
            assert isinstance(channel, discord.abc.Messageable)
            history = [m async for m in channel.history(limit=MARKER_SEARCH_DEPTH)]
        except (TargetUnavailable, discord.HTTPException) as exc:
            # Unverifiable: not posting is the lesser harm than posting twice.
            self.store.end_run(run.id, "failed", now, f"could not check whether it was posted: {exc}"[:300])
            log.warning("digest run could not be recovered", extra={"target": target.key, "run": run.id})
            return
        bot_id = self.bot.user.id if self.bot.user else 0
        found = find_marker(history, run.marker, bot_id)
        if found:
            self.store.finish_run(run.id, found, now)
            log.info("digest run recovered: it had been posted", extra={"target": target.key, "run": run.id})
            return
        if run.day == due_day(target, now, self.grace):
            log.info("digest run recovered: not posted, posting now", extra={"target": target.key, "run": run.id})
            await self.post(target, run.day, run.trigger, retry=run)
            return
        self.store.end_run(run.id, "missed", now, "interrupted before posting; its day has passed")
        log.info("digest run recovered: not posted and too late", extra={"target": target.key, "run": run.id})

    async def tick(self) -> None:
        now = discord.utils.utcnow()
        # Two indexed reads on a small local table: cheaper inline than a worker-thread round trip every minute.
        targets = self.store.targets()
        runs = self.store.runs_to_consider(now.date())
        actions = plan(targets, runs, now, self.grace, busy=self.busy)
        if actions:
            await asyncio.gather(*(self.execute(a) for a in actions))


# -- commands ------------------------------------------------------------------------------------------------


def _when(moment: dt.datetime) -> str:
    return f"{discord.utils.format_dt(moment, 'f')} ({discord.utils.format_dt(moment, 'R')})"


def _describe(target: DigestTarget) -> str:
    where = f"<#{target.channel_id}>" if target.kind == "channel" else "your DMs"
    parts = [f"{where}: every day at **{target.time:%H:%M} UTC**", f"{target.size} papers"]
    parts.append(f"topics: {escape(target.topics)}" if target.topics else "all papers, newest first")
    if target.archive:
        parts.append("archive picks when nothing is new")
    return ", ".join(parts)


def _clean_topics(topics: str | None) -> str | None:
    if topics is None:
        return None
    text = " ".join(topics.split())
    if len(text) > MAX_TOPICS_CHARS:
        raise InputError(f"Topics are limited to {MAX_TOPICS_CHARS} characters; keep to a few key phrases.")
    return text


def updated_target(
    old: DigestTarget | None,
    base: DigestTarget,
    *,
    time: dt.time | None,
    size: int | None,
    topics: str | None,
    archive: bool | None,
) -> DigestTarget:
    """`base` (where, who, when now) with the options given, the old subscription's values for the rest.

    Changing the time restarts the schedule from now, so a new time already past today starts tomorrow.
    """
    now = base.updated_at
    when = time or (old.time if old else DEFAULT_TIME)
    if topics is not None:
        new_topics = None if topics.casefold() in CLEAR_TOPICS else topics
    else:
        new_topics = old.topics if old else None
    return base.model_copy(
        update={
            "time": when,
            "size": size or (old.size if old else DEFAULT_SIZE),
            "topics": new_topics,
            "archive": archive if archive is not None else (old.archive if old else False),
            "active_from": now if old is None or old.time != when else old.active_from,
        }
    )


class DigestCog(commands.Cog):
    digest = app_commands.Group(name="digest", description="Daily digest of new papers, per channel or in your DMs")

    def __init__(self, bot: PaperBotCore) -> None:
        self.bot = bot
        self.poster = Poster(bot)
        self.store = self.poster.store

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DIGEST_ITEMS)
        self.scheduler.start()

    async def cog_unload(self) -> None:
        self.scheduler.cancel()
        self.bot.remove_dynamic_items(*DIGEST_ITEMS)

    # The loop checks every minute which targets are due; the schedule itself lives in the database, so a
    # restart, a new channel or a changed time needs no re-arming.
    @tasks.loop(minutes=1)
    async def scheduler(self) -> None:
        try:
            await self.poster.tick()
        except Exception:
            log.exception("digest scheduler tick failed")

    @scheduler.before_loop
    async def _before_scheduler(self) -> None:
        await self.bot.wait_until_ready()

    # -- helpers --

    async def _refuse(self, interaction: discord.Interaction[Any], text: str) -> None:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _parse_schedule(self, interaction: discord.Interaction[Any], time: str | None,
                              topics: str | None) -> tuple[dt.time | None, str | None] | None:
        """The time and topics options, parsed; None (and the user told why) when either is invalid."""
        try:
            return (parse_time(time) if time else None), _clean_topics(topics)
        except InputError as exc:
            await self._refuse(interaction, str(exc))
            return None

    def _is_admin(self, interaction: discord.Interaction[Any]) -> bool:
        return bool(interaction.permissions.manage_guild)

    async def _managed_channel(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None, *, doing: str, pick: str
    ) -> discord.abc.GuildChannel | None:
        """The channel an admin command acts on (default: this one), or None after telling the user why not."""
        if not self._is_admin(interaction):
            await self._refuse(interaction, f"You need the **Manage Server** permission to {doing}.")
            return None
        chosen = channel or interaction.channel
        if not isinstance(chosen, discord.abc.GuildChannel):
            await self._refuse(interaction, pick)
            return None
        return chosen

    def _now(self) -> dt.datetime:
        return discord.utils.utcnow()

    async def _save(self, target: DigestTarget, now: dt.datetime) -> tuple[DigestTarget, dt.datetime, str]:
        """Store a subscription; return it as stored, when its next digest goes out, and any topic warning."""
        saved = await asyncio.to_thread(self.store.save_target, target)
        served = await asyncio.to_thread(self.store.served_on, saved.key, now.date())
        return saved, next_slot(saved, now, self.poster.grace, served), await self._topic_warning(saved.topics)

    async def _topic_warning(self, topics: str | None) -> str:
        """Say so when a topic matches nothing in the corpus today (e.g. an acronym the corpus spells out)."""
        names = split_topics(topics)
        if not names:
            return ""
        try:
            empty = [t for t in names if not await asyncio.to_thread(topic_relevance, self.bot.app.retriever, [t])]
        except PaperBotError:
            return ""
        if not empty:
            return ""
        quoted = ", ".join(f"“{escape(t)}”" for t in empty)
        return (
            f"\nNote: no paper in the corpus is about {quoted} yet, so those topics will pick nothing until "
            "such papers are added; spelling out acronyms helps."
        )

    # -- /digest set, show, off, now (servers: Manage Server) --

    @digest.command(name="set", description="Post a daily digest of new papers in a channel (Manage Server)")
    @app_commands.describe(
        channel="The channel to post in",
        time="Time of day in UTC, 24-hour (e.g. 09:00, the default)",
        size=f"Papers per digest, 1-{MAX_SIZE} (default {DEFAULT_SIZE})",
        topics="Interests, comma-separated (e.g. 'long context, RLHF'): only papers on them. 'none' clears",
        archive="When nothing new is left, post older papers not yet shown here",
    )
    async def set_digest(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel,
        time: app_commands.Range[str, 1, 20] | None = None,
        size: app_commands.Range[int, 1, MAX_SIZE] | None = None,
        topics: app_commands.Range[str, 1, MAX_TOPICS_CHARS] | None = None,
        archive: bool | None = None,
    ) -> None:
        if interaction.guild is None:
            await self._refuse(interaction, "Use `/digest set` in a server. For a digest in your DMs: `/digest me`.")
            return
        if not self._is_admin(interaction):
            await self._refuse(interaction, "You need the **Manage Server** permission to configure digests.")
            return
        me = interaction.guild.me
        missing = missing_permissions(channel, me) if me is not None else ["Send Messages"]
        if missing:
            await self._refuse(
                interaction,
                f"I can't post the digest in {channel.mention}: I'm missing the "
                f"{', '.join(f'**{m}**' for m in missing)} permission there.",
            )
            return
        if (parsed := await self._parse_schedule(interaction, time, topics)) is None:
            return
        at, cleaned = parsed
        await acknowledge(interaction, ephemeral=True)
        now = self._now()
        key = channel_key(channel.id)
        old = await asyncio.to_thread(self.store.get_target, key)
        base = DigestTarget(
            key=key,
            kind="channel",
            guild_id=interaction.guild.id,
            channel_id=channel.id,
            user_id=interaction.user.id,
            active_from=now,
            created_at=now,
            updated_at=now,
        )
        target = updated_target(old, base, time=at, size=size, topics=cleaned, archive=archive)
        saved, upcoming, warning = await self._save(target, now)
        verb = "updated" if old else "set"
        await deliver(
            interaction,
            [Outgoing(content=f"Daily digest {verb}: {_describe(saved)}.\nNext digest: {_when(upcoming)}.{warning}")],
        )

    @digest.command(name="show", description="The digests of this server (in DMs: yours)")
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        now = self._now()
        if interaction.guild is None:
            targets = [t for t in [await asyncio.to_thread(self.store.get_target, dm_key(interaction.user.id))] if t]
            empty = "You have no DM digest. Start one with `/digest me`."
        else:
            if not self._is_admin(interaction):
                await self._refuse(interaction, "You need the **Manage Server** permission to see digest settings.")
                return
            targets = await asyncio.to_thread(self.store.targets, interaction.guild.id)
            empty = "No digest in this server yet. Start one with `/digest set`."
        if not targets:
            await self._refuse(interaction, empty)
            return
        lines = []
        for target in targets:
            served = await asyncio.to_thread(self.store.served_on, target.key, now.date())
            runs = await asyncio.to_thread(self.store.runs, target.key, 1)
            last = f"last: {runs[0].day.isoformat()} ({runs[0].state})" if runs else "not posted yet"
            upcoming = next_slot(target, now, self.poster.grace, served)
            lines.append(f"• {_describe(target)}\n  next {_when(upcoming)}; {last}")
        await interaction.response.send_message(
            clip("\n".join(lines), 2000), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @digest.command(name="off", description="Stop the digest in a channel (Manage Server; in DMs: yours)")
    @app_commands.describe(channel="The channel (default: this one)")
    async def off(self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None) -> None:
        if interaction.guild is None:
            stopped = await asyncio.to_thread(self.store.delete_target, dm_key(interaction.user.id))
            await self._refuse(interaction, "Your DM digest is stopped." if stopped else "You have no DM digest.")
            return
        where = await self._managed_channel(interaction, channel, doing="configure digests",
                                            pick="Pick the channel whose digest should stop.")
        if where is None:
            return
        stopped = await asyncio.to_thread(self.store.delete_target, channel_key(where.id))
        await self._refuse(
            interaction,
            f"The digest in {where.mention} is stopped. Papers already posted there "
            "stay remembered, so turning it on again never repeats them."
            if stopped
            else f"There is no digest in {where.mention}.",
        )

    @digest.command(name="now", description="Post today's digest right away (Manage Server; in DMs: yours)")
    @app_commands.describe(channel="The channel (default: this one)")
    async def now(self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None) -> None:
        if interaction.guild is None:
            key = dm_key(interaction.user.id)
            where_text = "here"
        else:
            where = await self._managed_channel(interaction, channel, doing="post a digest",
                                                pick="Pick the channel to post the digest in.")
            if where is None:
                return
            key, where_text = channel_key(where.id), where.mention
        target = await asyncio.to_thread(self.store.get_target, key)
        if target is None:
            hint = (
                "You have no DM digest yet: start one with `/digest me`."
                if interaction.guild is None
                else f"There is no digest in {where_text} yet: start one with `/digest set`."
            )
            await self._refuse(interaction, hint)
            return
        if key in self.poster.busy:
            await self._refuse(interaction, "That digest is being posted right now.")
            return
        self.poster.busy.add(key)  # before any await: the scheduler must not start the same target meanwhile
        try:
            await acknowledge(interaction, ephemeral=True)
            _, digest = await self.poster.post(target, self._now().date(), "manual")
        except TargetUnavailable as exc:
            await deliver(interaction, [Outgoing(content=f"I couldn't post the digest: {exc}.")])
            return
        finally:
            self.poster.busy.discard(key)
        count = len(digest.items)
        text = (
            f"Posted today's digest {where_text}: {count} paper{'s' if count != 1 else ''}."
            if count
            else f"Nothing new to post; I said so {where_text}."
        )
        await deliver(interaction, [Outgoing(content=text)])

    # -- /digest me (anyone, delivered by DM) --

    @digest.command(name="me", description="Get a daily digest in your DMs; 👍/👎 on its papers tunes it")
    @app_commands.describe(
        time="Time of day in UTC, 24-hour (e.g. 08:00; default 09:00)",
        topics="Your interests, comma-separated (e.g. 'long context, RLHF'); 'none' clears",
        size=f"Papers per digest, 1-{MAX_SIZE} (default {DEFAULT_SIZE})",
        off="Stop your DM digest",
    )
    async def me(
        self,
        interaction: discord.Interaction[Any],
        time: app_commands.Range[str, 1, 20] | None = None,
        topics: app_commands.Range[str, 1, MAX_TOPICS_CHARS] | None = None,
        size: app_commands.Range[int, 1, MAX_SIZE] | None = None,
        off: bool = False,
    ) -> None:
        key = dm_key(interaction.user.id)
        if off:
            stopped = await asyncio.to_thread(self.store.delete_target, key)
            await self._refuse(interaction, "Your DM digest is stopped." if stopped else "You have no DM digest.")
            return
        if (parsed := await self._parse_schedule(interaction, time, topics)) is None:
            return
        at, cleaned = parsed
        await acknowledge(interaction, ephemeral=True)
        now = self._now()
        old = await asyncio.to_thread(self.store.get_target, key)
        channel_id = interaction.channel_id if interaction.guild is None else (old.channel_id if old else None)
        base = DigestTarget(
            key=key,
            kind="dm",
            user_id=interaction.user.id,
            channel_id=channel_id,
            active_from=now,
            created_at=now,
            updated_at=now,
        )
        target = updated_target(old, base, time=at, size=size, topics=cleaned, archive=False)
        saved, upcoming, warning = await self._save(target, now)
        where = "" if interaction.guild is None else " (I'll send it by DM; keep DMs from server members open)"
        await deliver(
            interaction,
            [
                Outgoing(
                    content=f"Your daily digest: {_describe(saved)}{where}.\n"
                    f"Next one: {_when(upcoming)}. Rate its papers 👍/👎 to "
                    f"tune your picks.{warning}"
                )
            ],
        )


async def setup(bot: PaperBotCore) -> None:
    await bot.add_cog(DigestCog(bot))
