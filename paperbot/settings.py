"""The public settings API (`Settings`, `load_settings`), kept here for scripts that embed PaperBot."""

from core.settings import Settings, load_settings

__all__ = ["Settings", "load_settings"]
