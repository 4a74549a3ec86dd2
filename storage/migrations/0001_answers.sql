-- Answers the bot delivered, kept so that buttons (Sources, More like this, feedback) keep working after
-- a restart: their custom ids carry only the answer id.
CREATE TABLE answers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    surface     TEXT    NOT NULL,              -- 'slash', 'dm', 'thread', 'channel', 'console'
    question    TEXT    NOT NULL,
    answer      TEXT    NOT NULL,
    mode        TEXT    NOT NULL,              -- 'llm', 'extractive', 'abstain'
    citations   TEXT    NOT NULL DEFAULT '[]', -- JSON list of paperbot.models.Citation
    user_id     INTEGER,
    guild_id    INTEGER,
    channel_id  INTEGER,
    created_at  TEXT    NOT NULL
);
CREATE INDEX answers_guild ON answers (guild_id);
