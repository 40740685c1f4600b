#!/usr/bin/env bash
# Runs a Windows program under Wine: headless, quiet, in the prefix the test run made
# (tests/windows/wine_prefix.sh; SOCKIT_WINEPREFIX), never the user's ~/.wine.
# Debian 12's wine64 package puts the loader at /usr/lib/wine/wine64.
set -u
prefix=${SOCKIT_WINEPREFIX:-}
[ -n "$prefix" ] || { echo "wine.sh: SOCKIT_WINEPREFIX is not set (run through ctest --preset windows)" >&2; exit 2; }
export WINEPREFIX=$prefix WINEDEBUG=${WINEDEBUG:--all} WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY=
exec /usr/lib/wine/wine64 "$@"
