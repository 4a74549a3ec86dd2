-- A channel's topic scope (`/channel topic set`): /ask and /search there prefer papers on these terms, and
-- the channel's digest uses them when it has no topics of its own. `terms` is comma-separated, as typed.
CREATE TABLE channel_topics (
    channel_id  INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    terms       TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);
