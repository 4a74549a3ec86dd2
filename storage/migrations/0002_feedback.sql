-- One vote per user per answer; voting again replaces the earlier vote.
CREATE TABLE feedback (
    answer_id   INTEGER NOT NULL REFERENCES answers (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    vote        INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    guild_id    INTEGER,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);
CREATE INDEX feedback_guild ON feedback (guild_id, vote);
