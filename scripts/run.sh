#!/usr/bin/env bash
# Builds sockit (installing what the build needs) and starts the main job, `sockit serve`, on
# 127.0.0.1. Extra arguments go to `sockit serve` (e.g. --bind 0.0.0.0, --standard-ports).
# Uses the "run" preset: the CLI only, tests off, so a fresh machine needs only `deps.sh build`
# (GoogleTest comes with `deps.sh test`). The binary lands in build/run/sockit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
cmake --preset run >/dev/null
cmake --build --preset run
echo "run.sh: built build/run/sockit; starting: sockit serve $*" >&2
exec build/run/sockit serve "$@"
