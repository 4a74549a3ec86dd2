"""Numbered SQL migrations of the state database, applied in name order by `storage.db.Database.migrate`."""
