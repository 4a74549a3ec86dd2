"""The wheel's package list covers the code: every package folder and data file of the checkout is installed.

`.ci/smoke-install` proves it on a built wheel; this says the same in a second, naming what to add.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
PACKAGE_DIRS: dict[str, str] = CONFIG.get("package-dir", {})


def folder(package: str) -> Path:
    top, _, rest = package.partition(".")
    base = ROOT / PACKAGE_DIRS.get(top, top)
    return base / rest.replace(".", "/") if rest else base


def shipped_files() -> list[Path]:
    roots = {folder(p.split(".")[0]) for p in CONFIG["packages"]}
    return [path for root in roots for path in root.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"]


def test_every_folder_with_modules_is_a_listed_package() -> None:
    listed = {folder(p) for p in CONFIG["packages"]}
    missing = sorted({str(p.parent.relative_to(ROOT)) for p in shipped_files()
                      if p.suffix == ".py" and p.parent not in listed})
    assert missing == [], "add these to [tool.setuptools] packages in pyproject.toml"


def test_every_data_file_matches_its_packages_data_patterns() -> None:
    by_folder = {folder(p): p for p in CONFIG["packages"]}
    state = [folder(top) for top in PACKAGE_DIRS]  # data/ also holds the index when PAPERBOT_HOME is the checkout
    unshipped = []
    for path in shipped_files():
        if path.suffix == ".py" or (path.parent not in by_folder and any(path.is_relative_to(s) for s in state)):
            continue
        package = by_folder.get(path.parent)
        patterns = CONFIG["package-data"].get(package, []) if package else []
        if not any(fnmatch.fnmatch(path.name, pattern) for pattern in patterns):
            unshipped.append(str(path.relative_to(ROOT)))
    assert unshipped == [], "list these in [tool.setuptools.package-data] (and their folder in packages)"
