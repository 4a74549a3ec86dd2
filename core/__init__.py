"""The ground every PaperBot package stands on: settings, models, errors, logs and text utilities.

Nothing here imports another PaperBot package, so any layer may import it.
"""

__version__ = "0.1.0"
