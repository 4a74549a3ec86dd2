-- Daily digests: who gets one (targets), each attempt (runs), what each target has already seen (posted),
-- and 👍/👎 given on digest items (feedback). Owned by storage/digests.py.

CREATE TABLE digest_targets (
    target_key  TEXT PRIMARY KEY,             -- 'channel:<channel id>' or 'dm:<user id>'
    kind        TEXT NOT NULL CHECK (kind IN ('channel', 'dm')),
    guild_id    INTEGER,
    channel_id  INTEGER,
    user_id     INTEGER,
    time_utc    TEXT NOT NULL,                -- 'HH:MM'
    size        INTEGER NOT NULL CHECK (size BETWEEN 1 AND 10),
    topics      TEXT,
    archive     INTEGER NOT NULL DEFAULT 0,
    active_from TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE INDEX digest_targets_guild ON digest_targets (guild_id);

CREATE TABLE digest_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    target_key  TEXT NOT NULL,
    day         TEXT NOT NULL,                -- UTC day, ISO
    trigger     TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    state       TEXT NOT NULL CHECK (state IN ('pending', 'done', 'retry', 'failed', 'missed')),
    paper_ids   TEXT NOT NULL DEFAULT '[]',   -- JSON list, in digest order
    message_ids TEXT NOT NULL DEFAULT '[]',   -- JSON list
    channel_id  INTEGER,
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    created_at  TEXT NOT NULL,
    finished_at TEXT
);

CREATE INDEX digest_runs_target_day ON digest_runs (target_key, day);
CREATE INDEX digest_runs_state ON digest_runs (state);

CREATE TABLE digest_posted (
    target_key  TEXT NOT NULL,
    paper_id    TEXT NOT NULL,
    run_id      INTEGER NOT NULL,
    day         TEXT NOT NULL,
    PRIMARY KEY (target_key, paper_id)
);

CREATE TABLE digest_feedback (
    user_id     INTEGER NOT NULL,
    paper_id    TEXT NOT NULL,
    guild_id    INTEGER,                      -- the server the digest was posted in, NULL in DMs
    run_id      INTEGER,
    value       INTEGER NOT NULL CHECK (value IN (-1, 1)),
    at          TEXT NOT NULL,
    PRIMARY KEY (user_id, paper_id)
);

CREATE INDEX digest_feedback_guild ON digest_feedback (guild_id);
