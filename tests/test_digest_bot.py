"""The daily digest on a simulated Discord (simcord, virtual time from 2026-01-01 00:00 UTC).

The digest is observed the way a server sees it: messages in the channel, their embeds, and the marker each
digest message carries, invisibly, in its footer ("digest 2026-01-01 #3", read back with `reveal`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

import discord
from discord.ext import commands
from support.botsim import bot_config, text_of
from support.openai_server import refused_base_url

from app.wiring import App
from bot import create_bot
from bot.exts.digest._marker import reveal, visible
from bot.formatting import Outgoing, within_limits
from storage.conversations import ConversationStore, thread_conversation_key
from storage.digests import DigestStore

MARKER = re.compile(r"digest (\d{4}-\d{2}-\d{2}) #(\d+)")
HOUR = 3600
DAY = 24 * HOUR


def fresh_app(settings, retriever) -> App:
    """A new process's App on the same data dir (the index is shared, already loaded)."""
    return App(settings, retriever=retriever)


class World:
    def __init__(self, env):
        self.env = env
        self.guild = env.create_guild("Lab")
        self.channel = self.guild.create_text_channel("papers")
        admins = self.guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
        self.admin = self.guild.add_member(env.create_user("ada"), roles=[admins])
        self.member = self.guild.add_member(env.create_user("bob"))

    async def until(self, hour: int, minute: int = 0, day: int = 1) -> None:
        """Advance virtual time to `hour:minute` UTC of January `day` 2026."""
        target = dt.datetime(2026, 1, day, hour, minute, tzinfo=dt.UTC)
        seconds = (target - self.env.now()).total_seconds()
        assert seconds >= 0, f"already past {target}"
        # In steps: simcord gives each advance a few real seconds to settle, and a day is 1,440 ticks.
        while seconds > 0:
            step = min(seconds, 6 * HOUR)
            await self.env.advance_time(step)
            seconds -= step


def digests(channel) -> dict[str, list[discord.Message]]:
    """Bot messages grouped by digest marker, in posting order."""
    found: dict[str, list[discord.Message]] = defaultdict(list)
    for message in channel.history():
        for embed in message.embeds:
            markers = reveal(embed.footer.text or "")
            if markers:
                found[markers[0]].append(message)
                break
    return dict(found)


def titles(messages: list[discord.Message]) -> list[str]:
    """The paper titles of a digest, from its fields ("3. Title")."""
    out = []
    for message in messages:
        for embed in message.embeds:
            out += [re.sub(r"^\d+\.\s+", "", f.name or "").replace("\\", "") for f in embed.fields]
    return out


def day_of(marker: str) -> dt.date:
    match = MARKER.search(marker)
    assert match
    return dt.date.fromisoformat(match.group(1))


async def test_posts_at_its_time_once_a_day_for_three_days_without_repeating(simcord_env):
    world = World(simcord_env)
    result = await world.admin.slash(world.channel, "digest set", channel=world.channel, time="09:00", size=3)
    assert result.ephemeral and "09:00 UTC" in result.response.content
    await world.until(8, 59)
    assert digests(world.channel) == {}
    await world.until(9, 1)
    posted = digests(world.channel)
    assert len(posted) == 1
    await world.until(9, 1, day=3)
    posted = digests(world.channel)
    assert sorted(day_of(m) for m in posted) == [dt.date(2026, 1, d) for d in (1, 2, 3)]
    all_titles = [t for messages in posted.values() for t in titles(messages)]
    assert len(all_titles) == 9 and len(set(all_titles)) == 9
    first = next(iter(posted.values()))[0]
    assert first.embeds[0].title and "Thursday 1 January 2026" in first.embeds[0].title
    # Each message carries its run's marker for crash recovery, but readers see only the overview's note.
    for marker, messages in posted.items():
        for message in messages:
            assert marker not in visible(text_of(message)) and "digest 2026" not in visible(text_of(message))
            assert {visible(e.footer.text) for e in message.embeds} == {"Overview: extractive, quoted from the "
                                                                         "abstracts; no LLM endpoint is configured"}


LONG_CONTEXT_WORDS = re.compile(r"long[- ]context|context (window|length)|length|long[- ]?(sequence|text|form)"
                                r"|infinite|extend|extrapolat", re.I)


async def test_two_channels_each_with_its_own_time_and_topics(simcord_env):
    world = World(simcord_env)
    other = world.guild.create_text_channel("long-context")
    await world.admin.slash(world.channel, "digest set", channel=world.channel, time="09:00", size=2)
    await world.admin.slash(world.channel, "digest set", channel=other, time="17:30", size=2,
                            topics="long context")
    await world.until(9, 1)
    assert len(digests(world.channel)) == 1 and digests(other) == {}
    await world.until(17, 29)
    assert digests(other) == {}
    await world.until(17, 31)
    assert len(digests(world.channel)) == 1
    (messages,) = digests(other).values()
    picked = titles(messages)
    assert len(picked) == 2 and all(LONG_CONTEXT_WORDS.search(t) for t in picked), picked
    assert messages[0].embeds[0].description.startswith("**Topics:** long context")
    result = await world.admin.slash(world.channel, "digest show")
    assert f"<#{world.channel.id}>" in result.response.content and f"<#{other.id}>" in result.response.content
    assert "17:30 UTC" in result.response.content and "long context" in result.response.content


async def test_long_context_topic_picks_only_long_context_papers_and_never_repeats(simcord_env):
    """Acceptance: topics "long context" on the bundled corpus, three days of 5."""
    world = World(simcord_env)
    await world.admin.slash(world.channel, "digest set", channel=world.channel, time="06:00", size=5,
                            topics="long context")
    await world.until(6, 1, day=3)
    posted = digests(world.channel)
    assert sorted(day_of(m) for m in posted) == [dt.date(2026, 1, d) for d in (1, 2, 3)]
    picked = [t for messages in posted.values() for t in titles(messages)]
    assert len(picked) >= 10, picked  # the corpus has a dozen clearly long-context papers
    assert len(set(picked)) == len(picked)
    off_topic = [t for t in picked if not LONG_CONTEXT_WORDS.search(t)]
    assert off_topic == []


async def test_nothing_new_gets_the_short_line(simcord_env):
    world = World(simcord_env)
    await world.admin.slash(world.channel, "digest set", channel=world.channel, time="09:00",
                            topics="medieval pottery glazes")
    await world.until(9, 1)
    (messages,) = digests(world.channel).values()
    assert len(messages) == 1 and messages[0].embeds[0].fields == []
    assert messages[0].embeds[0].description.endswith("*Nothing new on medieval pottery glazes today.*")
    assert messages[0].components == []


async def test_restart_mid_day_after_the_time_posts_once(simcord_env, settings, retriever):
    world = World(simcord_env)
    await world.admin.slash(world.channel, "digest set", channel=world.channel, time="09:00")
    await world.until(9, 30)
    assert len(digests(world.channel)) == 1
    await simcord_env.restart_bot(create_bot(settings, fresh_app(settings, retriever)))
    await world.until(13, 0)
    assert len(digests(world.channel)) == 1
    await world.until(9, 1, day=2)
    assert len(digests(world.channel)) == 2


async def test_restart_before_the_time_still_posts(simcord_env, settings, retriever):
    world = World(simcord_env)
    await world.admin.slash(world.channel, "digest set", channel=world.channel, time="09:00")
    await world.until(8, 0)
    await simcord_env.restart_bot(create_bot(settings, fresh_app(settings, retriever)))
    await world.until(9, 1)
    assert len(digests(world.channel)) == 1


async def test_crash_between_post_and_record_is_not_posted_twice(simcord_env, settings, retriever, monkeypatch):
    world = World(simcord_env)
    await world.admin.slash(world.channel, "digest set", channel=world.channel, time="09:00", size=3)
    crashed = []

    def crash(self, run_id, message_ids, now):
        crashed.append(run_id)
        raise RuntimeError("simulated crash after posting")

    monkeypatch.setattr(DigestStore, "finish_run", crash)
    await world.until(9, 0)  # the 09:00 tick posts, then "crashes" before recording it
    monkeypatch.undo()
    assert crashed and len(digests(world.channel)) == 1
    store = DigestStore(fresh_app(settings, retriever).db)
    assert store.get_run(crashed[0]).state == "pending"
    await simcord_env.restart_bot(create_bot(settings, fresh_app(settings, retriever)))
    await world.until(10, 0)
    posted = digests(world.channel)
    assert len(posted) == 1
    run = store.get_run(crashed[0])
    assert run.state == "done" and run.message_ids == [m.id for m in next(iter(posted.values()))]
    # Its papers count as posted: tomorrow's digest does not repeat them.
    await world.until(9, 1, day=2)
    posted = digests(world.channel)
    assert len(posted) == 2
    first, second = (titles(m) for m in posted.values())
    assert not set(first) & set(second)


async def test_pending_run_never_posted_is_posted_once_after_restart(simcord_env, settings, retriever):
    """A crash after recording `pending` but before sending: the channel has no marker, so it is posted."""
    world = World(simcord_env)
    await world.admin.slash(world.channel, "digest set", channel=world.channel, time="09:00", size=2)
    await simcord_env.restart_bot(commands.Bot(command_prefix="!", intents=discord.Intents.none()))
    store = DigestStore(fresh_app(settings, retriever).db)
    run = store.begin_run(f"channel:{world.channel.id}", dt.date(2026, 1, 1), "schedule", ["x"], world.channel.id,
                          dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC))
    await world.until(9, 5)
    await simcord_env.restart_bot(create_bot(settings, fresh_app(settings, retriever)))
    await world.until(9, 10)
    posted = digests(world.channel)
    assert list(posted) == [f"digest 2026-01-01 #{run.id}"]
    assert store.get_run(run.id).state == "done"


async def test_down_for_two_days_posts_one_digest_on_return(simcord_env, settings, retriever):
    world = World(simcord_env)
    await world.admin.slash(world.channel, "digest set", channel=world.channel, time="09:00", size=2)
    await world.until(9, 1)
    assert len(digests(world.channel)) == 1
    # The bot goes down (a bare client stands in: nothing of PaperBot runs) for two days.
    await simcord_env.restart_bot(commands.Bot(command_prefix="!", intents=discord.Intents.none()))
    await world.until(11, 0, day=3)
    assert len(digests(world.channel)) == 1
    await simcord_env.restart_bot(create_bot(settings, fresh_app(settings, retriever)))
    await world.until(11, 5, day=3)
    posted = digests(world.channel)
    assert sorted(day_of(m) for m in posted) == [dt.date(2026, 1, 1), dt.date(2026, 1, 3)]


async def test_back_after_the_grace_period_waits_for_tomorrow(simcord_env, settings, retriever):
    world = World(simcord_env)
    await world.admin.slash(world.channel, "digest set", channel=world.channel, time="09:00", size=2)
    await simcord_env.restart_bot(commands.Bot(command_prefix="!", intents=discord.Intents.none()))
    await world.until(16, 0)  # 7 h late, grace is 6 h
    await simcord_env.restart_bot(create_bot(settings, fresh_app(settings, retriever)))
    await world.until(23, 59)
    assert digests(world.channel) == {}
    await world.until(9, 1, day=2)
    assert [day_of(m) for m in digests(world.channel)] == [dt.date(2026, 1, 2)]


async def test_missing_permission_is_refused_and_named(simcord_env):
    world = World(simcord_env)
    me = simcord_env.bot.get_guild(world.guild.id).me
    no_embeds = world.guild.create_text_channel("no-embeds", overwrites={
        me: discord.PermissionOverwrite(embed_links=False)})
    read_only = world.guild.create_text_channel("read-only", overwrites={
        me: discord.PermissionOverwrite(send_messages=False)})
    result = await world.admin.slash(world.channel, "digest set", channel=no_embeds)
    assert result.ephemeral and "**Embed Links**" in result.response.content
    result = await world.admin.slash(world.channel, "digest set", channel=read_only)
    assert "**Send Messages**" in result.response.content
    assert DigestStore(simcord_env.bot.app.db).targets() == []


async def test_members_without_manage_server_cannot_configure(simcord_env):
    world = World(simcord_env)
    group = next(c for c in simcord_env.bot.tree.get_commands() if c.name == "digest")
    assert group.default_permissions == discord.Permissions(manage_guild=True)
    # Members see only /digest-me; admins see every /digest command.
    seen = world.member.available_commands(world.channel)
    assert "digest-me" in seen and not [c for c in seen if c.startswith("digest ")]
    assert {"digest set", "digest show", "digest off", "digest now", "digest timezone"} <= set(
        world.admin.available_commands(world.channel))
    # A server may show the group to members anyway (its Integrations settings): the commands still refuse them.
    (registered,) = [c for c in await simcord_env.bot.tree.fetch_commands() if c.name == "digest"]
    world.guild.set_command_permissions(registered, {world.member: True})
    for command, options in (("digest set", {"channel": world.channel}), ("digest off", {}),
                             ("digest now", {}), ("digest show", {}), ("digest timezone", {"zone": "Asia/Tokyo"})):
        result = await world.member.slash(world.channel, command, **options)
        assert result.ephemeral and "Manage Server" in result.response.content, command
    assert DigestStore(simcord_env.bot.app.db).targets() == []
    assert digests(world.channel) == {}


async def test_bad_options_get_a_clear_message(simcord_env):
    world = World(simcord_env)
    result = await world.admin.slash(world.channel, "digest set", channel=world.channel, time="25:00")
    assert result.ephemeral and "24-hour time like 09:00" in result.response.content
    result = await world.admin.slash(world.channel, "digest now")
    assert "no digest" in result.response.content.lower()
    assert DigestStore(simcord_env.bot.app.db).targets() == []


async def test_off_stops_and_settings_update_in_place(simcord_env):
    world = World(simcord_env)
    await world.admin.slash(world.channel, "digest set", channel=world.channel, time="09:00", topics="long context")
    result = await world.admin.slash(world.channel, "digest set", channel=world.channel, size=7)
    assert "updated" in result.response.content and "7 papers" in result.response.content
    assert "long context" in result.response.content and "09:00" in result.response.content
    assert "most upvoted first" not in result.response.content  # relevance is the default
    result = await world.admin.slash(world.channel, "digest set", channel=world.channel, rank="upvotes")
    assert "most upvoted first" in result.response.content and "7 papers" in result.response.content
    result = await world.admin.slash(world.channel, "digest off")
    assert "stopped" in result.response.content
    await world.until(9, 30)
    assert digests(world.channel) == {}


async def test_digest_now_posts_immediately_and_counts_as_today(simcord_env):
    world = World(simcord_env)
    await world.admin.slash(world.channel, "digest set", channel=world.channel, time="09:00", size=2)
    await world.until(7, 0)
    result = await world.admin.slash(world.channel, "digest now")
    assert result.ephemeral and "2 papers" in (result.response.content or "")
    assert len(digests(world.channel)) == 1
    await world.until(12, 0)
    assert len(digests(world.channel)) == 1  # the 09:00 slot was already served today


def test_oversized_digest_is_split_within_discord_limits():
    from bot.exts.digest._render import digest_messages
    from digest.models import Digest, DigestItem

    items = [DigestItem(n=i, id=f"p{i}", title=f"Title {i} " + "very long words " * 40, date=dt.date(2026, 7, 31),
                        tldr="t" * 280, urls=[f"https://github.com/x/{i}", "https://example.org/" + "a" * 300])
             for i in range(1, 11)]
    digest = Digest(day=dt.date(2026, 1, 1), topics="long context", source="new", items=items,
                    overview="Overview sentence [1]. " * 600, overview_mode="llm", marker="digest 2026-01-01 #7")
    messages = digest_messages(digest)
    assert len(messages) > 1 and all(within_limits(m) for m in messages)
    fields = [f for m in messages for e in m.embeds for f in e.fields]
    assert [f.name.split(".")[0] for f in fields] == [str(i) for i in range(1, 11)]
    assert all(reveal(e.footer.text or "") == ["digest 2026-01-01 #7"] for m in messages for e in m.embeds)
    assert isinstance(messages[0], Outgoing)


async def test_ask_about_these_opens_a_thread_that_knows_the_papers(simcord_env):
    world = World(simcord_env)
    await world.admin.slash(world.channel, "digest set", channel=world.channel, time="09:00", size=3)
    await world.until(9, 1)
    (messages,) = digests(world.channel).values()
    result = await world.member.click(messages[-1], label="Ask about these")
    assert result.ephemeral and "Opened" in result.response.content
    (thread,) = world.channel.threads
    history = ConversationStore(simcord_env.bot.app.db).history(thread_conversation_key(thread.id), 5)
    run = DigestStore(simcord_env.bot.app.db).runs(f"channel:{world.channel.id}")[0]
    assert history[-1].cited_ids == run.paper_ids and len(run.paper_ids) == 3
    hint = thread.last_message.content
    assert "mention me" in hint
    # The example questions are about these papers: every word is a title's, a digest number or the template's.
    examples = re.findall(r"“<@\d+> (.+?)”", hint)
    template = {"how", "do", "and", "compare", "on", "differ", "what", "does", "find", "about"}
    shown = " ".join(titles(messages)).casefold()
    assert examples and all(w in template or w.isdigit() or w in shown
                            for q in examples for w in re.findall(r"[\w-]+", q.casefold())), examples
    again = await world.member.click(messages[-1], label="Ask about these")
    assert thread.mention in again.response.content and len(world.channel.threads) == 1


async def test_more_like_n_and_feedback_from_the_digest(simcord_env):
    world = World(simcord_env)
    await world.admin.slash(world.channel, "digest set", channel=world.channel, time="09:00", size=3)
    await world.until(9, 1)
    (messages,) = digests(world.channel).values()
    last = messages[-1]
    result = await world.member.select(last, ["2"], custom_id=next(
        c.custom_id for row in last.components for c in row.children if c.custom_id.startswith("pbd:more:")))
    embed = (result.followups[0] if result.followups else result.response).embeds[0]
    assert embed.title.startswith("Similar to:") and titles(messages)[1][:40] in embed.title.replace("\\", "")
    rate_id = next(c.custom_id for row in last.components for c in row.children
                   if c.custom_id.startswith("pbd:rate:"))
    result = await world.member.select(last, ["down:1"], custom_id=rate_id)
    assert result.ephemeral and "👎 noted" in result.response.content
    store = DigestStore(simcord_env.bot.app.db)
    run = store.runs(f"channel:{world.channel.id}")[0]
    assert store.guild_dislikes(world.guild.id) == [run.paper_ids[0]]


@bot_config(llm=True)
async def test_llm_writes_the_overview_citing_digest_items(simcord_env, openai_server):
    world = World(simcord_env)
    await world.admin.slash(world.channel, "digest set", channel=world.channel, time="09:00", size=3)
    await world.until(9, 1)
    (messages,) = digests(world.channel).values()
    head = messages[0].embeds[0]
    assert re.search(r"\[1\]", head.description) and re.search(r"\[2\]", head.description)
    assert "extractive" not in (head.footer.text or "")
    asked = [r for r in openai_server.chat_requests]
    assert len(asked) == 4  # one overview, three TL;DRs


@bot_config(openai_base_url=refused_base_url(), openai_api_key="test-key", llm_retries=0)
async def test_llm_down_gives_an_extractive_overview(simcord_env):
    world = World(simcord_env)
    await world.admin.slash(world.channel, "digest set", channel=world.channel, time="09:00", size=3)
    await world.until(9, 1)
    (messages,) = digests(world.channel).values()
    head = messages[0].embeds[0]
    assert "Overview: extractive" in head.footer.text
    assert re.search(r"\[\d\]", head.description)
    assert len(titles(messages)) == 3 and all(f.value.strip() for f in head.fields)


def component_id(message: discord.Message, prefix: str) -> str:
    return next(c.custom_id for row in message.components for c in row.children
                if (c.custom_id or "").startswith(prefix))


async def test_dm_digest_with_feedback_that_tunes_the_next_picks(simcord_env):
    carol = simcord_env.create_user("carol")
    result = await carol.slash("digest-me", time="08:00", size=2)
    assert result.ephemeral and "08:00 UTC" in result.response.content
    world = World(simcord_env)
    await world.until(8, 1)
    (messages,) = digests(carol.dm_channel).values()
    first_day = titles(messages)
    assert len(first_day) == 2
    result = await carol.select(messages[-1], ["up:2"], custom_id=component_id(messages[-1], "pbd:rate:"))
    assert "👍 noted" in result.response.content
    store = DigestStore(simcord_env.bot.app.db)
    run = store.runs(f"dm:{carol.id}")[0]
    assert store.user_ratings(carol.id) == {run.paper_ids[1]: 1}
    # Tomorrow's picks lean towards the liked paper's neighbours.
    liked_neighbours = {h.title for h in simcord_env.bot.app.retriever.similar(run.paper_ids[1], k=15)}
    await world.until(8, 1, day=2)
    second_day = titles(digests(carol.dm_channel)[f"digest 2026-01-02 #{run.id + 1}"])
    assert second_day and set(second_day) <= liked_neighbours and not set(second_day) & set(first_day)
    # "Ask about these" in a DM: the conversation there now knows the papers.
    result = await carol.click(messages[-1], label="Ask about these")
    assert "Ask me anything about these papers" in result.response.content
    history = ConversationStore(simcord_env.bot.app.db).history(f"dm:{carol.id}", 5)
    assert history[-1].cited_ids == run.paper_ids
    result = await carol.slash("digest off")
    assert "stopped" in result.response.content and store.get_target(f"dm:{carol.id}") is None


async def test_permission_lost_after_setup_fails_quietly_and_tries_again_tomorrow(simcord_env):
    world = World(simcord_env)
    await world.admin.slash(world.channel, "digest set", channel=world.channel, time="09:00", size=2)
    simcord_env.inject_error("POST", f"/channels/{world.channel.id}/messages", status=403, code=50013,
                             message="Missing Permissions")
    await world.until(9, 30)
    store = DigestStore(simcord_env.bot.app.db)
    (run,) = store.runs(f"channel:{world.channel.id}")
    assert run.state == "failed" and "403" in (run.error or "") and store.posted_ids(run.target_key) == set()
    await world.until(9, 1, day=2)
    assert [day_of(m) for m in digests(world.channel)] == [dt.date(2026, 1, 2)]


async def test_a_members_dislike_lowers_similar_papers_in_the_next_channel_digest(simcord_env, retriever):
    from digest.selection import select

    world = World(simcord_env)
    await world.admin.slash(world.channel, "digest set", channel=world.channel, time="09:00", size=10)
    await world.until(9, 1)
    (messages,) = digests(world.channel).values()
    store = DigestStore(simcord_env.bot.app.db)
    day1 = store.runs(f"channel:{world.channel.id}")[0].paper_ids
    plain = [p.id for p in select(retriever, posted=set(day1), size=10, day=dt.date(2026, 1, 2)).papers]
    # Bob dislikes the paper of today's digest that looks most like what tomorrow would bring.
    overlap = {n: {h.id for h in retriever.similar(pid, k=15)} & set(plain) for n, pid in enumerate(day1, 1)}
    n = max(overlap, key=lambda k: len(overlap[k]))
    assert overlap[n]
    await world.member.select(messages[-1], [f"down:{n}"], custom_id=component_id(messages[-1], "pbd:rate:"))
    await world.until(9, 1, day=2)
    day2 = store.runs(f"channel:{world.channel.id}")[0].paper_ids
    assert len(day2) == 10 and not set(day2) & overlap[n] and not set(day2) & set(day1)
