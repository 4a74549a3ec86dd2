#!/bin/sh
# Container entry point: before `paperbot run`, bring the index up to date with the bundled corpus (idempotent:
# seconds when nothing changed, so a first start and every later one are the same), then hand over to PaperBot.
set -eu
if [ "${1:-}" = "paperbot" ] && [ "${2:-}" = "run" ]; then
    paperbot ingest
fi
exec "$@"
