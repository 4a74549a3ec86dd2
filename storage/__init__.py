"""SQLite state under DATA_DIR: feedback, conversation memory, digest configuration and history."""

from storage.db import Database, open_database

__all__ = ["Database", "open_database"]
