-- /search results shown in Discord, kept so that their page buttons keep working after a restart: the
-- buttons' custom ids carry only the search id and the page to show; the search is run again on a click.
CREATE TABLE searches (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL,
    query       TEXT    NOT NULL,
    since       TEXT,                          -- ISO date the search was limited to, resolved when asked
    created_at  TEXT    NOT NULL
);
