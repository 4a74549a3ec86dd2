"""SQLite state under DATA_DIR: feedback, conversation memory, paged searches, digest configuration and history."""

from storage.db import Database, open_database

__all__ = ["Database", "open_database"]
