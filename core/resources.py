"""Files shipped inside the installed package (bundled corpus, dev questions), found through importlib.resources.

The repository keeps them in data/corpus and data/eval; pyproject maps that folder to the package
`paperbot_data`, so an editable install reads the checkout and a wheel reads site-packages, never the
current directory.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def bundled(*parts: str) -> Path:
    """A bundled file or folder. pip unpacks packages on disk, so the resource is a real path callers may glob."""
    return Path(str(resources.files("paperbot_data").joinpath(*parts)))


BUNDLED_CORPUS = bundled("corpus")
DEV_QUESTIONS = bundled("eval", "dev-questions.jsonl")
# Written without looking at rankings (issue 13); split into tune/report halves by retrieval.evaluation.
GENERALISATION_QUESTIONS = bundled("eval", "generalisation-questions.jsonl")
