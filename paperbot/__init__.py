"""PaperBot, the program you run: the command line and the console on top of every other layer."""

from core import __version__

__all__ = ["__version__"]
