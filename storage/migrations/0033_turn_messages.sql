-- The Discord messages each remembered answer was delivered as, so a reply to an older answer finds its turn.
ALTER TABLE conversation_turns ADD COLUMN message_ids TEXT NOT NULL DEFAULT '[]';
