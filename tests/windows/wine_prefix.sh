#!/usr/bin/env bash
# Makes a fresh Wine prefix for one test run (setup), or stops its wineserver and removes it
# (cleanup). Usage: wine_prefix.sh setup|cleanup DIR
set -u
action=$1 dir=$2
export WINEPREFIX=$dir WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY=
case $action in
  setup)
    [ -x /usr/lib/wine/wine64 ] || { echo "SKIP: /usr/lib/wine/wine64 missing (scripts/deps.sh windows installs wine64)"; exit 1; }
    WINESERVER=/usr/lib/wine/wineserver64 /usr/lib/wine/wineserver64 -k 2>/dev/null
    rm -rf "$dir" && mkdir -p "$dir"
    timeout 120 /usr/lib/wine/wine64 wineboot --init >/dev/null 2>&1 || { echo "wineboot failed in $dir"; exit 1; }
    # Keep one wineserver up for the whole run: every test then starts in a fraction of a second.
    /usr/lib/wine/wineserver64 -p 600 2>/dev/null
    echo "wine prefix ready: $dir"
    ;;
  cleanup)
    /usr/lib/wine/wineserver64 -k 2>/dev/null
    rm -rf "$dir"
    ;;
esac
