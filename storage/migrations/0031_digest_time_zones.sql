-- Digest times in a time zone: `time_utc` now holds the time of day in `tz` (an IANA name such as
-- 'Europe/Berlin', 'UTC', or a fixed offset 'UTC+05:30'); rows written before keep meaning UTC.
ALTER TABLE digest_targets ADD COLUMN tz TEXT NOT NULL DEFAULT 'UTC';
-- A server's default time zone for digest times given without one (`/digest timezone`).
CREATE TABLE guild_time_zones (
    guild_id    INTEGER PRIMARY KEY,
    tz          TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);
