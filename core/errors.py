"""Errors whose message is written for the user: the CLI prints it as one line, the bot sends it."""


class PaperBotError(Exception):
    """A failure the user can act on; str(exc) says what happened and what to do."""

    exit_code = 1


class IndexMissingError(PaperBotError):
    """There is no usable index yet (never built, or unreadable)."""


class ModelMismatchError(PaperBotError):
    """The index was built with another embedding model than the one configured."""


class StoreUnavailableError(PaperBotError):
    """The Chroma store (embedded or server) cannot be reached."""


class InputError(PaperBotError):
    """The user's input cannot be used as given (empty question, bad date...)."""

    exit_code = 2


class ConfigError(Exception):
    """A setting has a value PaperBot cannot use; the message names the variable and what is allowed."""
