-- Conversation memory for DMs ('dm:<user id>') and answer threads ('thread:<thread id>').
CREATE TABLE conversations (
    key         TEXT    PRIMARY KEY,
    kind        TEXT    NOT NULL,              -- 'dm', 'thread'
    owner_id    INTEGER,
    hinted      INTEGER NOT NULL DEFAULT 0,    -- told the thread how to address the bot already
    created_at  TEXT    NOT NULL
);
CREATE TABLE conversation_turns (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    key         TEXT    NOT NULL REFERENCES conversations (key) ON DELETE CASCADE,
    question    TEXT    NOT NULL,
    answer      TEXT    NOT NULL,
    cited_ids   TEXT    NOT NULL DEFAULT '[]',
    created_at  TEXT    NOT NULL
);
CREATE INDEX conversation_turns_key ON conversation_turns (key, id);
