-- How a digest orders its candidates: 'relevance' (as before) or 'upvotes' (Daily Papers upvotes first).
ALTER TABLE digest_targets ADD COLUMN rank TEXT NOT NULL DEFAULT 'relevance';
