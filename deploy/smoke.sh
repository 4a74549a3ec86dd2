#!/usr/bin/env bash
# The deployment path, end to end: deploy/install.sh into a fresh prefix, the pins checked, then PaperBot run
# from a directory outside the checkout (doctor, ingest, ask, doctor again). CI runs this (.ci/run).
#
#   deploy/smoke.sh [PREFIX]     (default: a new temporary directory, removed afterwards)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
checkout="$(dirname "$here")"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
prefix="${1:-$scratch/prefix}"

"$here/install.sh" "$prefix"
"$here/lock.sh" --check "$prefix"

# Outside the checkout, with nothing configured but where the data lives: nothing may come from the source tree.
mkdir "$scratch/elsewhere"
cd "$scratch/elsewhere"
export DATA_DIR="$scratch/data"
unset DISCORD_TOKEN OPENAI_API_KEY OPENAI_BASE_URL CHROMA_HOST
paperbot="$prefix/bin/paperbot"

step() { printf "\nsmoke: $ paperbot %s\n" "$*" >&2; "$paperbot" "$@"; }
step doctor
step ingest "$checkout/data/corpus"
step ask "how do I make CLIP handle long captions?" | tee "$scratch/answer.txt"
grep -q "Long-CLIP" "$scratch/answer.txt" || { echo "smoke: the answer does not cite Long-CLIP" >&2; exit 1; }
step doctor --json > "$scratch/doctor.json"
"$prefix/bin/python" - "$scratch/doctor.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
bad = [c for c in report["checks"] if c["status"] != "ok"]
assert report["ok"] and not bad, f"doctor after ingest: {bad}"
print("smoke: doctor after ingest: every check ok")
PY
[[ -z "$(ls -A "$scratch/elsewhere")" ]] || { echo "smoke: PaperBot wrote into the working directory" >&2; exit 1; }
echo "smoke: the installed PaperBot works outside the checkout"
