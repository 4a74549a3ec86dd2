#!/usr/bin/env bash
# Install PaperBot from this checkout the production way: a wheel (no editable install, no dev extras) into a
# virtual environment at PREFIX, every dependency pinned by deploy/constraints.txt.
#
#   deploy/install.sh /opt/paperbot          # then /opt/paperbot/bin/paperbot doctor
#   PYTHON=python3.12 deploy/install.sh ~/paperbot
#
# The Dockerfile and CI's smoke test (.ci/smoke-install) run this same script, so the path users take is the
# one that is tested. Re-running it upgrades PaperBot in place (the venv is reused; DATA_DIR is not touched).
set -euo pipefail

usage() { echo "usage: $0 [--unpinned] PREFIX   (a new or existing virtual environment to install into)" >&2; exit 2; }
pin=1
if [[ "${1:-}" == "--unpinned" ]]; then pin=0; shift; fi  # deploy/lock.sh resolves afresh this way
[[ $# -eq 1 && -n "$1" && "$1" != -* ]] || usage

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
checkout="$(dirname "$here")"
constraints="$here/constraints.txt"
prefix="$1"
python="${PYTHON:-python3}"

command -v "$python" >/dev/null || { echo "install: $python not found; install Python >= 3.11" >&2; exit 1; }
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "install: PaperBot needs Python >= 3.11, $python is $("$python" -V 2>&1)" >&2; exit 1; }
"$python" -c 'import ensurepip, venv' 2>/dev/null \
    || { echo "install: $python cannot create virtual environments; on Debian/Ubuntu: apt-get install python3-venv" >&2; exit 1; }
[[ $pin -eq 0 || -f "$constraints" ]] || { echo "install: $constraints is missing; run deploy/lock.sh" >&2; exit 1; }

if [[ ! -x "$prefix/bin/python" ]]; then
    echo "install: creating a virtual environment in $prefix"
    "$python" -m venv "$prefix"
fi
pip=("$prefix/bin/python" -m pip --disable-pip-version-check --no-input)

wheels="$(mktemp -d)"
trap 'rm -rf "$wheels"' EXIT
if [[ -n "${PAPERBOT_WHEEL:-}" ]]; then  # CI builds and inspects the wheel first, then installs that one
    mkdir "$wheels/dist" && cp "$PAPERBOT_WHEEL" "$wheels/dist/"
else
    echo "install: building the PaperBot wheel"
    # Built from a copy so that a build never leaves build/ or *.egg-info in the checkout.
    "$python" -c 'import shutil, sys; shutil.copytree(sys.argv[1], sys.argv[2], ignore=shutil.ignore_patterns(
        ".git", ".venv", "index", "state.sqlite3*", "build", "*.egg-info", "__pycache__", ".*_cache"))' \
        "$checkout" "$wheels/src"
    "${pip[@]}" wheel --quiet --no-deps --wheel-dir "$wheels/dist" "$wheels/src"
fi
wheel=("$wheels"/dist/paperbot_research-*.whl)

pins=(--constraint "$constraints")
[[ $pin -eq 1 ]] || pins=()
echo "install: installing ${wheel[0]##*/} into $prefix${pins:+ (dependencies pinned by ${constraints##*/})}"
"${pip[@]}" install --quiet --upgrade "${pins[@]}" "${wheel[0]}"
"$prefix/bin/paperbot" --version
echo "install: done. Next: $prefix/bin/paperbot doctor"
