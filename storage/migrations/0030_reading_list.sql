-- Papers saved to a reading list: one row per person and paper, per server (guild_id 0 for DMs).
-- A person's list ("mine") is their rows; a server's list is every row with its guild_id.
CREATE TABLE reading_list (
    guild_id    INTEGER NOT NULL,              -- 0 when saved in a DM
    user_id     INTEGER NOT NULL,
    paper_id    TEXT    NOT NULL,
    title       TEXT    NOT NULL,              -- as saved, so the list reads well if the corpus drops the paper
    saved_at    TEXT    NOT NULL,
    PRIMARY KEY (guild_id, user_id, paper_id)
);
CREATE INDEX reading_list_user ON reading_list (user_id, saved_at);
CREATE INDEX reading_list_guild ON reading_list (guild_id, saved_at);
-- Servers that asked for the weekly roundup (most liked and most saved papers), and where it goes.
CREATE TABLE roundups (
    guild_id    INTEGER PRIMARY KEY,
    channel_id  INTEGER NOT NULL,
    weekday     INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),  -- Monday = 0
    time_utc    TEXT    NOT NULL,              -- 'HH:MM'
    last_week   TEXT,                          -- ISO date of the last week posted (its Monday)
    created_at  TEXT    NOT NULL
);
