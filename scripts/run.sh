#!/usr/bin/env bash
# Builds sockit (installing what the build needs) and starts the main job, `sockit serve`, on
# 127.0.0.1. Extra arguments go to `sockit serve` (e.g. --bind 0.0.0.0, --standard-ports).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
cmake --preset release >/dev/null
cmake --build --preset release
exec build/release/sockit serve "$@"
