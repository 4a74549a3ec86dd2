"""PaperBot: a research assistant over a corpus of paper abstracts, for Discord and the terminal."""

__version__ = "0.1.0"
